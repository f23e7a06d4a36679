/**
 * A bounded memo of asynchronous results keyed by variant: concurrent requests for one key
 * share one computation, a failure is forgotten (the next request tries again), and past
 * `maxEntries` the least recently used result is dropped.
 */
export interface VariantCache<T> {
  get(key: string, produce: () => Promise<T>): Promise<T>;
  readonly size: number;
}

export function createVariantCache<T>(maxEntries: number): VariantCache<T> {
  const limit = Math.max(1, Math.floor(maxEntries));
  const entries = new Map<string, Promise<T>>();
  return {
    get(key, produce) {
      const cached = entries.get(key);
      if (cached) {
        // A Map iterates in insertion order: re-inserting keeps the least recently used first.
        entries.delete(key);
        entries.set(key, cached);
        return cached;
      }
      const pending = produce();
      entries.set(key, pending);
      pending.catch(() => {
        if (entries.get(key) === pending) entries.delete(key);
      });
      if (entries.size > limit) entries.delete(entries.keys().next().value!);
      return pending;
    },
    get size() {
      return entries.size;
    },
  };
}
