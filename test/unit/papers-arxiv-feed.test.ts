import { describe, expect, it } from 'vitest';
import { ArxivErrorDocument, detectRecordedFormat, parseArxivApiFeed, parseArxivRssFeed, splitCreators } from '../../services/core/papers/arxiv-feed.js';
import { InvalidInputError } from '../../services/core/platform/errors.js';
import { readArxivFixture } from '../helpers/arxiv-replay-server.js';
import { readHfFixture } from '../helpers/hf-replay-server.js';

function refusal(run: () => unknown): InvalidInputError {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('the arXiv API feed, current (2026) layout', () => {
  const { listing, skipped } = parseArxivApiFeed(readArxivFixture('current'));

  it('reads the paging header and every entry, ids without version', () => {
    expect(listing).toMatchObject({ kind: 'api', format: 'current', totalResults: 364218, startIndex: 0, itemsPerPage: 20 });
    expect(skipped).toEqual([]);
    expect(listing.entries).toHaveLength(20);
    expect(listing.entries[0]).toMatchObject({
      id: '2604.26951',
      version: 1,
      title: 'Turning the TIDE: Cross-Architecture Distillation for Diffusion Large Language Models',
      authors: ['Gongbo Zhang', 'Wen Wang', 'Ye Tian', 'Li Yuan'],
      firstVersionAt: new Date('2026-04-29T17:59:01Z'),
      primaryCategory: 'cs.CL',
      categories: ['cs.CL', 'cs.AI', 'cs.LG'],
      comment: '15 pages, 3 figures. Code: https://github.com/PKU-YuanGroup/TIDE',
      announceType: null,
    });
    expect(listing.entries[0]!.abstract).toMatch(/^Diffusion large language models \(dLLMs\) offer parallel decoding .* 32\.3 for the AR baseline\.$/);
  });

  it('keeps the DOI and journal reference where arXiv gives them', () => {
    const withDoi = listing.entries.find((entry) => entry.id === '2604.26888');
    expect(withDoi?.doi).toMatch(/^10\./);
    expect(withDoi?.journalRef).toBeTruthy();
  });
});

describe('the arXiv API feed, legacy layout', () => {
  const legacy = parseArxivApiFeed(readArxivFixture('legacy')).listing;
  const current = parseArxivApiFeed(readArxivFixture('current')).listing;

  it('is recognised as legacy and reads its inline-namespaced header', () => {
    expect(legacy).toMatchObject({ kind: 'api', format: 'legacy', totalResults: 3, startIndex: 0, itemsPerPage: 3 });
    expect(legacy.entries.map((entry) => entry.id)).toEqual(['2604.26951', '2604.26904', '2604.26835']);
  });

  it('unwraps hard-wrapped titles and abstracts into the same text as the current layout', () => {
    for (const entry of legacy.entries) {
      const same = current.entries.find((other) => other.id === entry.id)!;
      expect({ title: entry.title, abstract: entry.abstract, authors: entry.authors, primary: entry.primaryCategory }).toEqual({
        title: same.title,
        abstract: same.abstract,
        authors: same.authors,
        primary: same.primaryCategory,
      });
    }
  });
});

describe('the arXiv API error document', () => {
  it('is refused with arXiv’s own words', () => {
    const error = refusal(() => parseArxivApiFeed(readArxivFixture('error'), { source: 'file error.xml' }));
    expect(error).toBeInstanceOf(ArxivErrorDocument);
    expect(error.message).toBe('File error.xml is an arXiv API error document, not papers: "incorrect id format for abc"');
  });
});

describe('the arXiv RSS listing feed', () => {
  const { listing } = parseArxivRssFeed(readArxivFixture('rss'));

  it('reads the category, the listing date and each item’s announce type', () => {
    expect(listing).toMatchObject({ kind: 'rss', category: 'cs.CL', listingDate: '2026-04-30', publishedAt: new Date('2026-04-30T04:00:00Z') });
    expect(listing.entries.map((entry) => [entry.id, entry.version, entry.announceType])).toEqual([
      ['2604.26951', 1, 'new'],
      ['2604.26904', 1, 'new'],
      ['2604.26880', 1, 'new'],
      ['2604.26866', 1, 'new'],
      ['2604.26835', 1, 'new'],
      ['2604.26841', 1, 'cross'],
      ['2602.02084', 2, 'replace'],
      ['2602.00919', 3, 'replace-cross'],
      ['2511.04567', 2, 'replace'],
    ]);
  });

  it('parses the "Announce Type ... Abstract:" prefix off and splits dc:creator into authors', () => {
    const api = parseArxivApiFeed(readArxivFixture('current')).listing.entries.find((entry) => entry.id === '2604.26951')!;
    const rss = listing.entries[0]!;
    expect({ title: rss.title, abstract: rss.abstract, authors: rss.authors }).toEqual({ title: api.title, abstract: api.abstract, authors: api.authors });
    expect(rss.categories).toEqual(['cs.AI', 'cs.CL', 'cs.LG']);
    expect(rss.firstVersionAt).toBeNull();
  });

  it('keeps the text of a paper Hugging Face also has (same normalisation)', () => {
    const hf = (readHfFixture('2026-02-03') as Array<{ paper: { id: string; title: string } }>).find((item) => item.paper.id === '2602.02084')!;
    expect(listing.entries.find((entry) => entry.id === '2602.02084')!.title).toBe(hf.paper.title.replace(/\s+/g, ' ').trim());
  });

  it('is empty on a day without an announcement', () => {
    const empty = parseArxivRssFeed(readArxivFixture('rssEmpty')).listing;
    expect(empty).toMatchObject({ listingDate: '2026-05-02', entries: [] });
  });

  it('splits author strings with commas and a final "and"', () => {
    expect(splitCreators('Ada Lovelace, Alan Turing and Grace Hopper')).toEqual(['Ada Lovelace', 'Alan Turing', 'Grace Hopper']);
    expect(splitCreators('  Jane   Doe ,John Smith ')).toEqual(['Jane Doe', 'John Smith']);
  });

  it('refuses an item with an unknown announce type, naming it', () => {
    const broken = readArxivFixture('rss').replace('<arxiv:announce_type>cross</arxiv:announce_type>', '<arxiv:announce_type>crossed</arxiv:announce_type>');
    const error = refusal(() => parseArxivRssFeed(broken, { source: 'file cs.CL.xml' }));
    expect(error.message).toBe('File cs.CL.xml was refused: 1 of 9 items is invalid; nothing was imported');
    expect(error.details).toEqual([{ field: 'item[5].arxiv:announce_type', message: 'arXiv 2604.26841: must be one of new, cross, replace, replace-cross, not "crossed"' }]);
  });
});

describe('telling recorded answers apart by content', () => {
  it('knows JSON, the API feed (both layouts) and RSS', () => {
    expect(detectRecordedFormat('\uFEFF  [{"paper":{}}]')).toBe('hf-json');
    expect(detectRecordedFormat(readArxivFixture('current'))).toBe('arxiv-api');
    expect(detectRecordedFormat(readArxivFixture('legacy'))).toBe('arxiv-api');
    expect(detectRecordedFormat(readArxivFixture('error'))).toBe('arxiv-api');
    expect(detectRecordedFormat(readArxivFixture('rss'))).toBe('arxiv-rss');
    expect(detectRecordedFormat('<html>rate limited</html>')).toBeUndefined();
    expect(detectRecordedFormat('<feed xmlns="http://www.w3.org/2005/Atom"><title>a blog</title></feed>')).toBeUndefined();
  });

  it('refuses malformed XML and DOCTYPEs with a message saying so', () => {
    expect(refusal(() => parseArxivApiFeed(readArxivFixture('current').slice(0, 3000), { source: 'file cut.xml' })).message).toMatch(
      /^File cut\.xml is not well-formed XML \(line \d+: .*\); expected an arXiv API Atom feed$/,
    );
    const bomb = '<?xml version="1.0"?><!DOCTYPE feed [<!ENTITY a "aaaa">]><feed xmlns="http://www.w3.org/2005/Atom"></feed>';
    expect(refusal(() => parseArxivApiFeed(bomb)).message).toMatch(/declares a DOCTYPE/);
  });

  it('decodes character references once, keeping LaTeX and escaped markup as text', () => {
    const feed = readArxivFixture('current').replace(
      /<title>Turning the TIDE[^<]*<\/title>/,
      '<title>Ob&#322;&#243;j &amp;lt;b&amp;gt; $p(y|\\mathbf{x})$ &lt;1%</title>',
    );
    expect(parseArxivApiFeed(feed).listing.entries[0]!.title).toBe('Obłój &lt;b&gt; $p(y|\\mathbf{x})$ <1%');
  });
});
