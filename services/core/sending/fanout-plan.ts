import type { ReaderSelector } from '../digest/reader-selection.js';
import type { PlannedDelivery, FanoutReader } from './fanout-repo.js';
import { isDue } from './send-schedule.js';

/**
 * Plans one page of a fan-out: which readers get a delivery row and with which papers. Pure:
 * the service feeds it a page of readers and what the database knows about them.
 */
export interface FanoutPage {
  readers: FanoutReader[];
  /** Scheduled runs only: readers whose send time for the edition has not come are left out. */
  due?: { editionReadyAt: Date; now: Date };
  /** Readers who already have their copy of this edition (left out). */
  haveCopy: ReadonlySet<number>;
  /** Papers of the edition each reader was already sent. */
  alreadySent: ReadonlyMap<number, ReadonlySet<string>>;
  selector: ReaderSelector;
}

const NOTHING_SENT: ReadonlySet<string> = new Set();

export function planFanoutPage(page: FanoutPage): PlannedDelivery[] {
  const planned: PlannedDelivery[] = [];
  for (const reader of page.readers) {
    if (page.haveCopy.has(reader.id)) continue;
    if (page.due && !isDue(reader, page.due.editionReadyAt, page.due.now)) continue;
    const selection = page.selector.select({
      topics: reader.topics,
      alreadySent: page.alreadySent.get(reader.id) ?? NOTHING_SENT,
      maxPapers: reader.maxPapers,
    });
    planned.push({ subscriberId: reader.id, paperIds: selection.paperIds });
  }
  return planned;
}
