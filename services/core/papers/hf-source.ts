import type { HfClient } from './hf-client.js';
import { parsePapersJson } from './hf-paper-schema.js';
import { idPath, type PaperSource, type SourceDay } from './paper-source.js';
import { hfCalendar } from './source-calendar.js';

type HfDay = Extract<SourceDay, { source: 'hf' }>;

/**
 * Hugging Face Daily Papers as a paper source: a day is a UTC date; papers carry upvotes,
 * comments, AI summaries and keywords. Fetching goes through the HF client, parsing through the
 * one HF parser, so both behave exactly as the scheduled ingest and `cli import` always did.
 */
export function createHfSource(client?: HfClient): PaperSource<HfDay> {
  return {
    id: 'hf',
    name: 'Hugging Face Daily Papers',
    calendar: hfCalendar,
    describeDay: () => 'Trending on Hugging Face',
    dayUrl: (day) => `https://huggingface.co/papers/date/${day.date}`,
    paperUrl: hfPaperUrl,
    async fetchDay(day) {
      if (!client) throw new Error('this Hugging Face source was made without a client; it can parse but not fetch');
      return { source: 'hf', parsed: await client.fetchDailyPapers(day.date) };
    },
    parse: (text, options) => ({ source: 'hf', parsed: parsePapersJson(text, options) }),
  };
}

export function hfPaperUrl(id: string): string {
  return `https://huggingface.co/papers/${idPath(id)}`;
}
