import { arxivAbstractUrl, arxivPdfUrl } from './arxiv-source.js';
import { hfPaperUrl } from './hf-source.js';

/**
 * Where a paper can be read: its Hugging Face page (discussion, upvotes), its arXiv abstract and
 * PDF, and the code and project page its authors named. Every view of a paper (the admin API,
 * the digest, the archive pages) takes its links from here; the URLs come from the sources.
 */
export interface PaperLinks {
  huggingFace: string;
  arxiv: string;
  pdf: string;
  /** Code repository, when the paper has one (an http(s) URL, checked at import). */
  code: string | null;
  project: string | null;
}

export function paperLinks(paper: { id: string; githubRepo: string | null; projectPage: string | null }): PaperLinks {
  return {
    huggingFace: hfPaperUrl(paper.id),
    arxiv: arxivAbstractUrl(paper.id),
    pdf: arxivPdfUrl(paper.id),
    code: paper.githubRepo,
    project: paper.projectPage,
  };
}
