import { describe, expect, it } from 'vitest';
import {
  httpUrlOrNull,
  shortenAuthors,
  splitSentences,
  summarizeAbstract,
  toDigestCard,
} from '../../services/core/digest/digest-content.js';
import { fixturePapers, makePaper } from '../helpers/digest-fixtures.js';

describe('shortenAuthors', () => {
  it('names short lists in full', () => {
    expect(shortenAuthors([])).toBe('');
    expect(shortenAuthors(['Ada Lovelace'])).toBe('Ada Lovelace');
    expect(shortenAuthors(['A', 'B'])).toBe('A and B');
    expect(shortenAuthors(['A', 'B', 'C', 'D'])).toBe('A, B, C and D');
  });

  it('names the first three of a long list and counts the rest', () => {
    const names = Array.from({ length: 600 }, (_, i) => `Author ${i + 1}`);
    expect(shortenAuthors(names)).toBe('Author 1, Author 2, Author 3 and 597 others');
    expect(shortenAuthors(['A', 'B', 'C', 'D', 'E'])).toBe('A, B, C and 2 others');
  });

  it('shortens the 326-author paper of the recorded day', () => {
    const kimi = fixturePapers('2026-02-03').find((paper) => paper.authors.length > 300)!;
    expect(toDigestCard(kimi, 1).authors).toMatch(/^[^,]+, [^,]+, [^,]+ and \d{3} others$/);
  });
});

describe('summaries', () => {
  it('uses the AI summary when there is one', () => {
    const card = toDigestCard(makePaper({ aiSummary: '  One   line\nTL;DR. ', abstract: 'Long abstract.' }), 1);
    expect(card.summary).toBe('One line TL;DR.');
    expect(card.summaryIsAi).toBe(true);
  });

  it('falls back to the first sentence of the abstract, or two when the first is short', () => {
    const long = `We introduce ${'a very long method name '.repeat(6)}that does things. Second sentence here. Third.`;
    expect(summarizeAbstract(long)).toBe(`We introduce ${'a very long method name '.repeat(6)}that does things.`);
    expect(summarizeAbstract('Short one. Then another. And a third.')).toBe('Short one. Then another.');
    const card = toDigestCard(makePaper({ aiSummary: null, abstract: 'Short one. Then another. And a third.' }), 1);
    expect(card.summary).toBe('Short one. Then another.');
    expect(card.summaryIsAi).toBe(false);
  });

  it('does not cut sentences at abbreviations, initials or decimals', () => {
    expect(splitSentences('Models (e.g. GPT-4) fail. Smith et al. Showed 3.5 points. J. Doe agrees.')).toEqual([
      'Models (e.g. GPT-4) fail.',
      'Smith et al. Showed 3.5 points.',
      'J. Doe agrees.',
    ]);
  });

  it('caps a run-on abstract or AI summary with an ellipsis', () => {
    const summary = summarizeAbstract(`${'word '.repeat(200)}end.`);
    expect(summary.length).toBeLessThanOrEqual(421);
    expect(summary.endsWith('…')).toBe(true);
    const card = toDigestCard(makePaper({ aiSummary: `${'long '.repeat(400)}tail.` }), 1);
    expect(card.summary.length).toBeLessThanOrEqual(421);
    expect(card.summary.endsWith('…')).toBe(true);
  });

  it('works for a day recorded without AI summaries (2024 schema)', () => {
    for (const [index, paper] of fixturePapers('2024-03-21').entries()) {
      const card = toDigestCard(paper, index + 1);
      expect(card.summaryIsAi).toBe(false);
      expect(card.summary.length).toBeGreaterThan(20);
      expect(card.summary).not.toMatch(/\n/);
      expect(card.title).not.toMatch(/\s{2}|\n/);
    }
  });
});

describe('LaTeX and markup in paper text', () => {
  it('reads LaTeX markup as text on a card: title, abstract summary and AI summary', () => {
    expect(toDigestCard(makePaper({ title: 'The \\textsc{Bench}\n  for 100\\% of cases' }), 1).title).toBe('The Bench for 100% of cases');
    const card = toDigestCard(makePaper({ abstract: 'We beat {Sora}\'s results by $\\alpha$-scaling. More.', aiSummary: null }), 1);
    expect(card.summary).toBe("We beat Sora's results by α-scaling. More.");
  });

  it("shows the 2024 fixture's Sora paper without braces", () => {
    const sora = fixturePapers('2024-03-21').find((paper) => paper.abstract.includes('{Sora}'))!;
    const card = toDigestCard(sora, 1);
    expect(card.summary).toContain("paralleled Sora's performance");
    expect(card.summary).not.toMatch(/[{}\\$]/);
  });

  it('keeps angle brackets and script tags as plain text (escaping is the template\'s job)', () => {
    const card = toDigestCard(makePaper({ title: '<script>alert(1)</script>', aiSummary: 'Uses <think> tags & </think>.' }), 1);
    expect(card.title).toBe('<script>alert(1)</script>');
    expect(card.summary).toBe('Uses <think> tags & </think>.');
  });

  it('defuses placeholder-looking text so it can never become a reader link', () => {
    const card = toDigestCard(makePaper({ title: 'About %%UNSUBSCRIBE_URL%% and 100%%%' }), 1);
    expect(card.title).not.toContain('%%');
    expect(card.title.replaceAll('\u200b', '')).toBe('About %%UNSUBSCRIBE_URL%% and 100%%%');
  });
});

describe('links', () => {
  it('links the HF page, arXiv abstract and PDF by id', () => {
    const card = toDigestCard(makePaper({ id: '2602.02276' }), 1);
    expect(card.links).toMatchObject({
      paper: 'https://huggingface.co/papers/2602.02276',
      arxiv: 'https://arxiv.org/abs/2602.02276',
      pdf: 'https://arxiv.org/pdf/2602.02276',
    });
  });

  it('keeps code and project links only when they are http(s) URLs', () => {
    expect(httpUrlOrNull('https://github.com/org/repo')).toBe('https://github.com/org/repo');
    expect(httpUrlOrNull(' http://example.org/x ')).toBe('http://example.org/x');
    expect(httpUrlOrNull('javascript:alert(1)')).toBeNull();
    expect(httpUrlOrNull('github.com/org/repo')).toBeNull();
    expect(httpUrlOrNull('https://x.org/"><script>')).toBeNull();
    expect(httpUrlOrNull('')).toBeNull();
    expect(httpUrlOrNull(null)).toBeNull();
    const card = toDigestCard(makePaper({ githubRepo: 'javascript:alert(1)', projectPage: 'https://proj.example.org' }), 1);
    expect(card.links.code).toBeNull();
    expect(card.links.projectPage).toBe('https://proj.example.org/');
  });
});

describe('card details', () => {
  it('takes the thumbnail, organization, stars, three keywords and the date from the stored paper', () => {
    const [kimi] = fixturePapers('2026-02-03');
    const card = toDigestCard(kimi!, 1);
    expect(card.thumbnailUrl).toBe('https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2602.02276.png');
    expect(card.organization).toBe('Moonshot AI');
    expect(card.keywords).toHaveLength(3);
    expect(card.keywords).toEqual(kimi!.aiKeywords.slice(0, 3));
    expect(card.published).toBe('2 Feb 2026');
  });

  it('keeps stars only beside a repository link, and thumbnails only as http(s) URLs', () => {
    expect(toDigestCard(makePaper({ githubRepo: 'https://github.com/a/b', githubStars: 7 }), 1).githubStars).toBe(7);
    expect(toDigestCard(makePaper({ githubRepo: null, githubStars: 7 }), 1).githubStars).toBeNull();
    expect(toDigestCard(makePaper({ thumbnailUrl: 'javascript:alert(1)' }), 1).thumbnailUrl).toBeNull();
  });
});

