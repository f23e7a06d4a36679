/**
 * Plain values the digest code takes: a stored paper as an edition froze it, and the edition
 * itself. Callers map database rows to these; nothing here touches Postgres.
 */

export interface DigestPaper {
  /** arXiv id, e.g. "2602.01234". */
  id: string;
  title: string;
  abstract: string;
  /** Visible author names in arXiv order. */
  authors: readonly string[];
  aiSummary: string | null;
  aiKeywords: readonly string[];
  githubRepo: string | null;
  /** Stars of githubRepo when last ingested. */
  githubStars: number | null;
  projectPage: string | null;
  /** Hugging Face's thumbnail of the paper (a social card PNG). */
  thumbnailUrl: string | null;
  /** Display name of the organization HF attributes the paper to. */
  organization: string | null;
  /** Display name of who submitted it to Daily Papers. */
  submittedBy: string | null;
  /** arXiv publication instant, ISO 8601. */
  publishedAt: string;
  /** The counts frozen with the edition (edition_papers), not the latest ones. */
  upvotes: number;
  numComments: number;
}

/** An arXiv section of a daily edition: one category's new papers of the day, ranked. */
export interface DigestSection {
  /** "cs.CL". */
  category: string;
  /** "Computation and Language". */
  name: string;
  papers: readonly DigestPaper[];
}

export interface DigestEdition {
  /** An arXiv category edition (`arxiv`) is not mailed yet; its preview reads like a daily one. */
  kind: 'daily' | 'weekly' | 'arxiv';
  /** "2026-02-03" for a daily edition, "2026-W06" for a weekly one, "arxiv:cs.CL:2026-08-13" for an arXiv listing. */
  key: string;
  /** First and last daily date covered, "YYYY-MM-DD" (equal for a daily edition). */
  periodStart: string;
  periodEnd: string;
  /** A daily edition's arXiv sections (absent or empty: none); its own papers are the trending section. */
  sections?: readonly DigestSection[];
}
