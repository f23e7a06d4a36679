/**
 * Where a paper can be read: its Hugging Face page (discussion, upvotes), its arXiv abstract and
 * PDF, and the code and project page its authors named. Every view of a paper (the admin API,
 * the digest, the archive pages) takes its links from here.
 */
export interface PaperLinks {
  huggingFace: string;
  arxiv: string;
  pdf: string;
  /** Code repository, when the paper has one (an http(s) URL, checked at import). */
  code: string | null;
  project: string | null;
}

/** arXiv ids (2602.01234, hep-th/9901001) go into paths as they are; anything else is encoded. */
function idPath(id: string): string {
  return /^[A-Za-z0-9][A-Za-z0-9./-]*$/.test(id) && !id.includes('..') ? id : encodeURIComponent(id);
}

export function paperLinks(paper: { id: string; githubRepo: string | null; projectPage: string | null }): PaperLinks {
  const id = idPath(paper.id);
  return {
    huggingFace: `https://huggingface.co/papers/${id}`,
    arxiv: `https://arxiv.org/abs/${id}`,
    pdf: `https://arxiv.org/pdf/${id}`,
    code: paper.githubRepo,
    project: paper.projectPage,
  };
}
