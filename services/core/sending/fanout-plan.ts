import type { SectionedSelector } from '../digest/section-selection.js';
import type { PlannedDelivery, FanoutReader } from './fanout-repo.js';
import { isDue } from './send-schedule.js';

/**
 * Plans one page of a fan-out: which readers get a delivery row and with which papers, in which
 * sections (section-selection.ts). Pure:
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
  selector: SectionedSelector;
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
      trending: reader.trending,
      arxivCategories: reader.arxivCategories,
    });
    planned.push({ subscriberId: reader.id, paperIds: selection.paperIds, paperSections: selection.paperSections });
  }
  return planned;
}
