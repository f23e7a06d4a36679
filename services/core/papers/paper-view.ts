import { z } from 'zod';
import type { papers } from '../platform/db/schema.js';
import { paperLinks, type PaperLinks } from './paper-links.js';

/**
 * How a paper is shown: what a digest, a page or the admin API needs, links included. Text is
 * raw (LaTeX and `<...>` as stored); whoever renders HTML escapes it.
 */

export type PaperRow = typeof papers.$inferSelect;

export interface PaperView {
  id: string;
  title: string;
  abstract: string;
  authors: string[];
  /** arXiv publication instant, ISO 8601. */
  publishedAt: string;
  upvotes: number;
  numComments: number;
  aiSummary: string | null;
  aiKeywords: string[];
  githubStars: number | null;
  organization: string | null;
  /** Who submitted it to Daily Papers. */
  submittedBy: string | null;
  thumbnailUrl: string | null;
  links: PaperLinks;
}

/** `counts` lets an edition show the upvotes and comments it froze rather than today's. */
export function toPaperView(row: PaperRow, counts?: { upvotes: number; numComments: number }): PaperView {
  return {
    id: row.id,
    title: row.title,
    abstract: row.abstract,
    authors: row.authors,
    publishedAt: row.publishedAt.toISOString(),
    upvotes: counts?.upvotes ?? row.upvotes,
    numComments: counts?.numComments ?? row.numComments,
    aiSummary: row.aiSummary,
    aiKeywords: row.aiKeywords,
    githubStars: row.githubStars,
    organization: row.organization,
    submittedBy: row.submittedBy,
    thumbnailUrl: row.thumbnailUrl,
    links: paperLinks(row),
  };
}

/** The zod shape of a PaperView, for route responses (and so /docs). */
export const paperViewSchema = z.object({
  id: z.string().meta({ description: 'arXiv id', example: '2602.02276' }),
  title: z.string(),
  abstract: z.string(),
  authors: z.array(z.string()).meta({ description: 'Visible authors in arXiv order' }),
  publishedAt: z.string().meta({ description: 'arXiv publication time, ISO 8601' }),
  upvotes: z.number().int(),
  numComments: z.number().int(),
  aiSummary: z.string().nullable().meta({ description: 'Hugging Face one-sentence summary, when it has one' }),
  aiKeywords: z.array(z.string()),
  githubStars: z.number().int().nullable(),
  organization: z.string().nullable(),
  submittedBy: z.string().nullable().meta({ description: 'Who submitted it to Daily Papers (display name)' }),
  thumbnailUrl: z.string().nullable(),
  links: z.object({
    huggingFace: z.string(),
    arxiv: z.string(),
    pdf: z.string(),
    code: z.string().nullable(),
    project: z.string().nullable(),
  }),
}) satisfies z.ZodType<PaperView>;
