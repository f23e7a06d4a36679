import { createDigestMessageBuilder, digestSettings, type DigestMessageBuilder } from '../digest/digest-message.js';
import type { DigestEdition, DigestPaper } from '../digest/digest-types.js';
import { getEditionWithPapers, type EditionPaper, type EditionPreview, type EditionReadDeps, type EditionSection } from '../editions/edition-service.js';
import type { Config } from '../platform/config/config.js';

/** A frozen paper as the digest code takes it. */
function toDigestPaper(paper: EditionPaper): DigestPaper {
  return {
    id: paper.id,
    title: paper.title,
    abstract: paper.abstract,
    authors: paper.authors,
    aiSummary: paper.aiSummary,
    aiKeywords: paper.aiKeywords,
    githubRepo: paper.links.code,
    githubStars: paper.githubStars,
    projectPage: paper.links.project,
    thumbnailUrl: paper.thumbnailUrl,
    organization: paper.organization,
    submittedBy: paper.submittedBy,
    publishedAt: paper.publishedAt,
    upvotes: paper.upvotes,
    numComments: paper.numComments,
  };
}

/** The digest's view of an edition, frozen (with its arXiv sections) or a draft: plain values, as the digest code takes them. */
export function toDigestEdition(edition: Pick<EditionPreview, 'edition' | 'papers'> & { sections?: readonly EditionSection[] }): {
  edition: DigestEdition;
  papers: DigestPaper[];
} {
  return {
    edition: {
      kind: edition.edition.kind,
      key: edition.edition.key,
      periodStart: edition.edition.periodStart,
      periodEnd: edition.edition.periodEnd,
      sections: (edition.sections ?? []).map((section) => ({ category: section.category, name: section.name, papers: section.papers.map(toDigestPaper) })),
    },
    papers: edition.papers.map(toDigestPaper),
  };
}

export interface EditionMessages {
  /** The message builder of an edition, loaded once per worker and kept while in use. */
  forEdition(editionKey: string): Promise<DigestMessageBuilder>;
}

interface EditionMessagesDeps extends EditionReadDeps {
  /** What the digest's headers and links are made of. */
  config: Pick<Config, 'publicUrl' | 'mail' | 'secretKey'>;
}

/**
 * One message builder per edition per worker process, so each variant's MJML is compiled and
 * its MIME message composed once per process, not once per job. Few editions are ever sent at
 * once; the oldest builder goes past `maxEditions`.
 */
export function createEditionMessages(deps: EditionMessagesDeps, maxEditions = 4): EditionMessages {
  const builders = new Map<string, Promise<DigestMessageBuilder>>();
  return {
    forEdition(editionKey) {
      const cached = builders.get(editionKey);
      if (cached) return cached;
      const loading = (async () => {
        const found = await getEditionWithPapers(deps, editionKey);
        if (!found) throw new Error(`edition ${editionKey} does not exist`);
        const { edition, papers } = toDigestEdition(found);
        return createDigestMessageBuilder(edition, papers, digestSettings(deps.config, await deps.database.installationId()));
      })();
      loading.catch(() => builders.get(editionKey) === loading && builders.delete(editionKey));
      builders.set(editionKey, loading);
      if (builders.size > maxEditions) builders.delete(builders.keys().next().value!);
      return loading;
    },
  };
}
