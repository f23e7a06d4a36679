import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../services/core/platform/errors.js';
import { normaliseAbstract, parsePapers, parsePapersJson } from '../../services/core/papers/hf-paper-schema.js';
import { SAMPLE_DAILY_DATE, SAMPLE_PAPERS_FILE } from '../../services/core/papers/sample-papers.js';
import { hfFixturePath } from '../helpers/hf-replay-server.js';

function fixtureText(day: string): string {
  return readFileSync(hfFixturePath(day), 'utf8');
}
function fixture(day: string): Array<Record<string, any>> {
  return JSON.parse(fixtureText(day));
}

/** A minimal valid item of the current schema; tests change one thing at a time. */
function item(overrides: Record<string, unknown> = {}, paperOverrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    paper: {
      id: '2608.00001',
      authors: [{ _id: 'a', name: 'Ada Lovelace', hidden: false }],
      publishedAt: '2026-08-12T00:00:00.000Z',
      submittedOnDailyAt: '2026-08-13T00:00:00.000Z',
      title: 'A paper',
      summary: 'An abstract.',
      upvotes: 3,
      discussionId: 'd',
      ...paperOverrides,
    },
    publishedAt: '2026-08-11T20:00:00.000Z',
    title: 'A paper',
    summary: 'An abstract.',
    thumbnail: 'https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2608.00001.png',
    numComments: 1,
    isAuthorParticipating: false,
    ...overrides,
  };
}

function refusal(run: () => unknown): InvalidInputError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return error as InvalidInputError;
  }
  throw new Error('expected the input to be refused');
}

describe('parsing the three Hugging Face schemas', () => {
  it('reads the 2024 schema (mediaUrl, no submittedOnDailyAt, hard-wrapped text)', () => {
    const parsed = parsePapersJson(fixtureText('2024-03-21'));
    expect(parsed.items).toHaveLength(18);
    // No submittedOnDailyAt in 2024: the top-level publishedAt was then the real submission time.
    expect(parsed.dates).toEqual(['2024-03-21']);
    const first = parsed.items[0]!;
    expect(first.paper).toMatchObject({
      id: '2403.13248',
      title: 'Mora: Enabling Generalist Video Generation via A Multi-Agent Framework',
      upvotes: 47,
      numComments: 3,
      aiSummary: null,
      aiKeywords: [],
      githubRepo: null,
      organization: null,
      // No submitter before June 2024.
      submittedBy: null,
      thumbnailUrl: 'https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2403.13248.png',
    });
    expect(first.paper.authors.slice(0, 3)).toEqual(['Zhengqing Yuan', 'Ruoxi Chen', 'Zhaoxu Li']);
    expect(first.paper.publishedAt.toISOString()).toBe('2024-03-20T02:19:21.000Z');
  });

  it('reads the 2025-26 schema (submission timestamp, ai_summary, organization, 326 authors)', () => {
    const parsed = parsePapersJson(fixtureText('2026-02-03'));
    expect(parsed.items).toHaveLength(44);
    expect(parsed.dates).toEqual(['2026-02-03']);
    const kimi = parsed.items[0]!.paper;
    expect(kimi).toMatchObject({ id: '2602.02276', title: 'Kimi K2.5: Visual Agentic Intelligence', upvotes: 77, numComments: 1, organization: 'Moonshot AI', submittedBy: 'taesiri' });
    expect(kimi.aiSummary).toMatch(/^Kimi K2\.5 is an open-source multimodal agentic model/);
    expect(kimi.projectPage).toBe('https://huggingface.co/moonshotai/Kimi-K2.5');
    // The arXiv date, not the top-level publishedAt (US-Eastern wall clock labelled UTC).
    expect(kimi.publishedAt.toISOString()).toBe('2026-02-02T16:17:38.000Z');
    expect(Math.max(...parsed.items.map((i) => i.paper.authors.length))).toBe(326);
    expect(parsed.items.filter((i) => i.paper.githubRepo).length).toBe(18);
  });

  it('reads the newest schema (date-only buckets, ai_summary_model, githubRepoAddedBy)', () => {
    const parsed = parsePapersJson(fixtureText('2026-08-13'));
    expect(parsed.items).toHaveLength(20);
    expect(parsed.dates).toEqual(['2026-08-13']);
    expect(parsed.items[0]!.paper).toMatchObject({
      id: '2608.00677',
      githubRepo: 'https://github.com/AI45Lab/OpenART',
      githubStars: 8,
      upvotes: 98,
      numComments: 2,
    });
    expect(parsed.items[0]!.paper.publishedAt.toISOString()).toBe('2026-08-01T00:00:00.000Z');
  });

  it('ships the newest recorded day as the sample, in the file the app imports', () => {
    expect(hfFixturePath('2026-08-13')).toBe(SAMPLE_PAPERS_FILE);
    expect(parsePapersJson(readFileSync(SAMPLE_PAPERS_FILE, 'utf8')).dates).toEqual([SAMPLE_DAILY_DATE]);
  });

  it('takes the daily date from the caller first', () => {
    const parsed = parsePapers(fixture('2026-02-03'), { date: '2026-02-04' });
    expect(parsed.dates).toEqual(['2026-02-04']);
  });
});

describe('plain arrays of papers', () => {
  it('accepts HF paper objects without the daily wrapper', () => {
    const papers = fixture('2026-08-13').map((entry) => entry.paper);
    const parsed = parsePapers(papers);
    expect(parsed.items).toHaveLength(20);
    expect(parsed.dates).toEqual(['2026-08-13']);
    // A plain paper says nothing about comments: unknown, not zero.
    expect(parsed.items[0]!.paper.numComments).toBeNull();
    expect(parsed.items[0]!.paper.title).toBe(parsePapers(fixture('2026-08-13')).items[0]!.paper.title);
  });

  it('lets a plain paper carry its comment count', () => {
    const parsed = parsePapers([{ ...(item().paper as object), numComments: 4 }]);
    expect(parsed.items[0]!.paper.numComments).toBe(4);
  });

  it('needs a date for plain papers without submittedOnDailyAt, and says how to give one', () => {
    const paper = { ...(item().paper as object), submittedOnDailyAt: undefined };
    const error = refusal(() => parsePapers([paper]));
    expect(error.details).toEqual([
      { field: 'items[0].submittedOnDailyAt', message: expect.stringMatching(/^arXiv 2608\.00001: has no Daily Papers date; .*--date YYYY-MM-DD/) },
    ]);
    expect(parsePapers([paper], { date: '2026-08-13' }).dates).toEqual(['2026-08-13']);
  });
});

describe('text normalisation', () => {
  it('unwraps hard-wrapped titles and abstracts, keeping paragraph breaks', () => {
    const parsed = parsePapersJson(fixtureText('2024-03-21'));
    const scene = parsed.items.find((i) => i.paper.title.startsWith('SceneScript'))!.paper;
    expect(scene.title).toBe('SceneScript: Reconstructing Scenes With An Autoregressive Structured Language Model');
    expect(scene.abstract).not.toMatch(/\n/);
    expect(scene.abstract).toMatch(/^We introduce SceneScript, a method that directly produces full scene models as a sequence/);
    const hyper = parsed.items.find((i) => i.paper.id === '2403.13447')!.paper;
    expect(hyper.abstract.split('\n\n')).toHaveLength(2);
    expect(hyper.abstract).toMatch(/in two-stage training\.\n\nOur experiments demonstrate/);
  });

  it('collapses runs of whitespace and trims', () => {
    expect(normaliseAbstract('  One\nline  wrapped\n\n\nSecond\tpara  ')).toBe('One line wrapped\n\nSecond para');
    const parsed = parsePapers([item({}, { title: '  Spaced \n  out\ttitle ' })]);
    expect(parsed.items[0]!.paper.title).toBe('Spaced out title');
  });

  it('keeps LaTeX and angle brackets as text', () => {
    const parsed = parsePapersJson(fixtureText('2026-02-03'));
    const byId = (id: string) => parsed.items.find((i) => i.paper.id === id)!.paper;
    expect(byId('2602.00130').abstract).toContain('(p < 10^(-10))');
    expect(byId('2602.02214').abstract).toContain('19.3\\% in Dynamic Degree');
    expect(byId('2602.01296').abstract).toContain('Tanks\\&Temple');
    const custom = parsePapers([
      item({}, { title: '<script>alert(1)</script> and $\\mathbf{x}$', summary: 'Tokens like <|im_end|> and </think> stay; so does \\textsc{AIEV}.' }),
    ]).items[0]!.paper;
    expect(custom.title).toBe('<script>alert(1)</script> and $\\mathbf{x}$');
    expect(custom.abstract).toBe('Tokens like <|im_end|> and </think> stay; so does \\textsc{AIEV}.');
  });

  it('skips hidden authors and keeps the order of the others', () => {
    const authors = [
      { name: 'First Author', hidden: false },
      { name: 'Hidden Person', hidden: true },
      { name: '  Third \n Author ' },
    ];
    expect(parsePapers([item({}, { authors })]).items[0]!.paper.authors).toEqual(['First Author', 'Third Author']);
  });
});

describe('optional fields', () => {
  const optionals = ['ai_summary', 'ai_keywords', 'githubRepo', 'githubStars', 'projectPage', 'organization', 'submittedOnDailyAt', 'mediaUrls'];

  it('accepts them absent', () => {
    const parsed = parsePapers([item({ thumbnail: undefined, organization: undefined }, {})], { date: '2026-08-13' });
    expect(parsed.items[0]!.paper).toMatchObject({ aiSummary: null, aiKeywords: [], githubRepo: null, githubStars: null, projectPage: null, organization: null, thumbnailUrl: null });
  });

  it('accepts them null', () => {
    const nulls = Object.fromEntries(optionals.map((key) => [key, null]));
    const parsed = parsePapers([item({ thumbnail: null, organization: null, mediaUrl: null }, nulls)], { date: '2026-08-13' });
    expect(parsed.items[0]!.paper).toMatchObject({ aiSummary: null, aiKeywords: [], githubRepo: null, githubStars: null, projectPage: null, organization: null, thumbnailUrl: null });
  });

  it('keeps only http(s) links, so nothing like javascript: reaches an email', () => {
    const parsed = parsePapers([item({}, { githubRepo: 'javascript:alert(1)', projectPage: 'https://example.org/p' })]);
    expect(parsed.items[0]!.paper.githubRepo).toBeNull();
    expect(parsed.items[0]!.paper.projectPage).toBe('https://example.org/p');
  });

  it('strips an arXiv version suffix', () => {
    expect(parsePapers([item({}, { id: '2608.00001v2' })]).items[0]!.paper.id).toBe('2608.00001');
  });
});

describe('bad input is refused as a whole', () => {
  it('says when a file is empty', () => {
    expect(refusal(() => parsePapersJson('', { source: 'file day.json' })).message).toBe('File day.json is empty; expected a JSON array of papers');
    expect(refusal(() => parsePapersJson(' \n\t')).message).toMatch(/is empty/);
  });

  it('says when a file is not JSON', () => {
    const error = refusal(() => parsePapersJson('<!doctype html><html>', { source: 'file day.json' }));
    expect(error.message).toMatch(/^File day\.json is not JSON \(.+\); expected a JSON array of papers$/);
    expect(refusal(() => parsePapersJson(fixtureText('2026-08-13').slice(0, 5000))).message).toMatch(/is not JSON/);
  });

  it('says when the JSON is not an array, quoting an HF error answer', () => {
    expect(refusal(() => parsePapers({ papers: [] })).message).toMatch(/must be a JSON array of papers .* not an object/);
    expect(refusal(() => parsePapers({ error: "Sorry, we can't find the page you are looking for." })).message).toBe(
      'The input holds an error response, not papers: "Sorry, we can\'t find the page you are looking for."',
    );
  });

  it('names the item (index and arXiv id) and the field of every problem', () => {
    const items = fixture('2026-08-13');
    items[3]!.paper.upvotes = 'many';
    delete items[7]!.numComments;
    items[9]!.paper.authors = [{ name: 42 }];
    items[12]!.paper.publishedAt = 'yesterday';
    const error = refusal(() => parsePapers(items, { source: 'file 2026-08-13.json' }));
    expect(error.message).toBe('File 2026-08-13.json was refused: 4 of 20 items are invalid; nothing was imported');
    expect(error.details).toEqual([
      { field: 'items[3].paper.upvotes', message: `arXiv ${items[3]!.paper.id}: must be a number` },
      { field: 'items[7].numComments', message: `arXiv ${items[7]!.paper.id}: is missing` },
      { field: 'items[9].paper.authors[0].name', message: `arXiv ${items[9]!.paper.id}: must be text` },
      { field: 'items[12].paper.publishedAt', message: expect.stringMatching(`^arXiv ${items[12]!.paper.id}: must be an ISO 8601`) },
    ]);
  });

  it('names the item by index alone when it has no readable id', () => {
    const error = refusal(() => parsePapers([item(), 'oops', item({}, { id: undefined })]));
    expect(error.details).toEqual([
      { field: 'items[1]', message: 'must be an object (a Daily Papers item or a paper), not a string' },
      { field: 'items[2].paper.id', message: 'is missing' },
    ]);
  });

  it('refuses ids that are not arXiv ids, empty titles and negative counts', () => {
    const error = refusal(() =>
      parsePapers([item({}, { id: 'not an id' }), item({}, { title: ' \n ' }), item({ numComments: -1 }), item({}, { upvotes: 1.5 })]),
    );
    expect(error.details.map((d) => d.field)).toEqual(['items[0].paper.id', 'items[1].paper.title', 'items[2].numComments', 'items[3].paper.upvotes']);
    expect(error.details[0]!.message).toMatch(/must be an arXiv id/);
    expect(error.details[1]!.message).toMatch(/must not be empty/);
    expect(error.details[2]!.message).toMatch(/must not be negative/);
    expect(error.details[3]!.message).toMatch(/must be a whole number/);
  });

  it('refuses null where a value is required', () => {
    const error = refusal(() => parsePapers([item({}, { summary: null })]));
    expect(error.details).toEqual([{ field: 'items[0].paper.summary', message: 'arXiv 2608.00001: must not be null' }]);
  });

  it('refuses a date that is not a real calendar day', () => {
    const error = refusal(() => parsePapers([item()], { date: '2026-13-40' }));
    expect(error.details).toEqual([{ field: 'date', message: expect.stringMatching(/YYYY-MM-DD/) }]);
  });

  it('accepts an empty array (a weekend)', () => {
    expect(parsePapers([])).toEqual({ items: [], dates: [], skipped: [] });
  });
});

describe('the submitter', () => {
  const base = JSON.parse(fixtureText('2026-02-03'))[0];
  const parse = (changes: (item: typeof base) => void) => {
    const copy = structuredClone(base);
    changes(copy);
    return parsePapers([copy], { date: '2026-02-03' }).items[0]!.paper.submittedBy;
  };

  it('is the full name from paper.submittedOnDailyBy, else from the wrapper\'s submittedBy, else the username', () => {
    expect(parse((item) => (item.paper.submittedOnDailyBy.fullname = '  Ada   Lovelace '))).toBe('Ada Lovelace');
    expect(parse((item) => {
      delete item.paper.submittedOnDailyBy;
      item.submittedBy.fullname = 'Alan Turing';
    })).toBe('Alan Turing');
    expect(parse((item) => {
      item.paper.submittedOnDailyBy.fullname = '';
      item.paper.submittedOnDailyBy.user = 'ada';
    })).toBe('ada');
    expect(parse((item) => {
      delete item.paper.submittedOnDailyBy;
      delete item.submittedBy;
    })).toBeNull();
  });
});
