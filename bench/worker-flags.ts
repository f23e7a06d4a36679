/**
 * The heap bound every deployed process starts with (the image's CMD and `npm start`), so the
 * bench measures the worker as deployed (a test keeps them equal). The worker's live heap stays
 * under ~70 MB at a million readers; the bound makes V8 collect before garbage piles up to
 * several hundred MB.
 */
export const DEPLOYED_WORKER_FLAGS = ['--max-old-space-size=256'];
