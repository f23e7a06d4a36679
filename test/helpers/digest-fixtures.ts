import { readFileSync } from 'node:fs';
import type { DigestEdition, DigestPaper } from '../../services/core/digest/digest-types.js';
import { hfFixturePath } from './hf-replay-server.js';

/**
 * Recorded Hugging Face Daily Papers days (see test/fixtures/hf-daily-papers) mapped to the plain values the digest code takes. Deliberately not
 * the ingest parser: the digest tests only need the fields a card shows.
 */

export const FIXTURE_DAYS = ['2024-03-21', '2026-02-03', '2026-08-13'] as const;
export type FixtureDay = (typeof FIXTURE_DAYS)[number];

interface FixtureItem {
  numComments?: number;
  /** The thumbnail; `mediaUrl` before June 2024. */
  thumbnail?: string;
  mediaUrl?: string;
  organization?: { fullname?: string; name: string };
  submittedBy?: { fullname?: string; name?: string };
  paper: {
    publishedAt: string;
    githubStars?: number | null;
    organization?: { fullname?: string; name: string };
    submittedOnDailyBy?: { fullname?: string; user?: string };
    id: string;
    title: string;
    summary: string;
    authors: Array<{ name: string; hidden?: boolean }>;
    upvotes: number;
    ai_summary?: string | null;
    ai_keywords?: string[] | null;
    githubRepo?: string | null;
    projectPage?: string | null;
  };
}

/** The day's papers in the fixture's order (by upvotes, descending). */
export function fixturePapers(day: FixtureDay): DigestPaper[] {
  const items = JSON.parse(readFileSync(hfFixturePath(day), 'utf8')) as FixtureItem[];
  return items.map(({ paper, numComments, thumbnail, mediaUrl, organization, submittedBy }) => ({
    id: paper.id,
    title: paper.title,
    abstract: paper.summary,
    authors: paper.authors.filter((author) => !author.hidden).map((author) => author.name),
    aiSummary: paper.ai_summary ?? null,
    aiKeywords: paper.ai_keywords ?? [],
    githubRepo: paper.githubRepo ?? null,
    githubStars: paper.githubStars ?? null,
    projectPage: paper.projectPage ?? null,
    thumbnailUrl: thumbnail ?? mediaUrl ?? null,
    organization: (paper.organization ?? organization)?.fullname ?? (paper.organization ?? organization)?.name ?? null,
    submittedBy: paper.submittedOnDailyBy?.fullname || paper.submittedOnDailyBy?.user || submittedBy?.fullname || submittedBy?.name || null,
    publishedAt: paper.publishedAt,
    upvotes: paper.upvotes,
    numComments: numComments ?? 0,
  }));
}

export function dailyEdition(day: string): DigestEdition {
  return { kind: 'daily', key: day, periodStart: day, periodEnd: day };
}

let sequence = 0;

/** A hand-made paper; every field can be overridden. */
export function makePaper(overrides: Partial<DigestPaper> = {}): DigestPaper {
  sequence += 1;
  return {
    id: `2602.${String(10000 + sequence)}`,
    title: `Paper number ${sequence}`,
    abstract: `We study thing ${sequence}. It works well.`,
    authors: ['Ada Lovelace', 'Alan Turing'],
    aiSummary: null,
    aiKeywords: [],
    githubRepo: null,
    githubStars: null,
    projectPage: null,
    thumbnailUrl: null,
    organization: null,
    submittedBy: null,
    publishedAt: '2026-02-02T17:00:00.000Z',
    upvotes: 10,
    numComments: 1,
    ...overrides,
  };
}
