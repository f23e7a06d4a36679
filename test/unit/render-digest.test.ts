import { describe, expect, it } from 'vitest';
import { toDigestCard } from '../../services/core/digest/digest-content.js';
import {
  createDigestRenderer,
  digestPreheader,
  digestSubject,
  DIGEST_PLACEHOLDERS,
  fillDigestPlaceholders,
  readerCopyUrl,
  renderDigestVariant,
  type DigestRenderSettings,
} from '../../services/core/digest/render-digest.js';
import { createCopyToken } from '../../services/core/platform/tokens/copy-token.js';
import { MAX_PAPERS_LIMIT } from '../../services/core/subscribers/preferences.js';
import { readerLinks } from '../../services/core/subscribers/reader-links.js';
import { dailyEdition, fixturePapers, makePaper } from '../helpers/digest-fixtures.js';

const settings: DigestRenderSettings = { publicUrl: 'https://news.example.org', postalAddress: 'Paperboy Ltd, 1 Main St, Springfield' };

function count(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

describe('renderDigestVariant', () => {
  it('compiles the most papers a reader may choose (50, with thumbnails) under strict validation within 102 KB', async () => {
    // The largest recorded day (44) and the next ones of another day: MAX_PAPERS_LIMIT real cards.
    const papers = [...fixturePapers('2026-02-03'), ...fixturePapers('2026-08-13')].slice(0, MAX_PAPERS_LIMIT);
    expect(papers).toHaveLength(50);
    const rendered = await renderDigestVariant(dailyEdition('2026-02-03'), papers.map((paper, i) => toDigestCard(paper, i + 1)), settings);
    // Filled with a reader's links, as sent: Gmail clips a message whose HTML passes ~102 KB.
    const links = {
      unsubscribeUrl: `https://news.example.org/unsubscribe?token=${'u'.repeat(90)}`,
      preferencesUrl: `https://news.example.org/preferences?token=${'p'.repeat(90)}`,
      stopTopicUrl: `https://news.example.org/topics/stop?token=${'p'.repeat(90)}`,
      readerChoices: 'weekly on Wednesdays at 07:00 America/Argentina/Buenos_Aires, all topics, 50 papers',
      webCopyUrl: `https://news.example.org/editions/2026-W06?copy=${'c'.repeat(28)}`,
    };
    expect(Buffer.byteLength(fillDigestPlaceholders(rendered, links).html)).toBeLessThanOrEqual(102 * 1000);
    for (const paper of papers) expect(rendered.html).toContain(`https://huggingface.co/papers/${paper.id}`);
    expect(count(rendered.html, '<img src="https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/')).toBe(50);
    expect(rendered.subject).toBe('Kimi K2.5: Visual Agentic Intelligence and 49 more');
  });

  it('keeps the per-reader placeholders through MJML, in the html and the text', async () => {
    const rendered = await renderDigestVariant(dailyEdition('2026-02-03'), [toDigestCard(makePaper(), 1)], settings);
    expect(rendered.html).toContain(`href="${DIGEST_PLACEHOLDERS.unsubscribeUrl}"`);
    expect(rendered.html).toContain(`href="${DIGEST_PLACEHOLDERS.preferencesUrl}"`);
    expect(rendered.text).toContain(`Unsubscribe:     ${DIGEST_PLACEHOLDERS.unsubscribeUrl}`);
    expect(rendered.text).toContain(`Preferences:     ${DIGEST_PLACEHOLDERS.preferencesUrl}`);
  });

  it('shows the date, a card per paper with its links, and the footer in both parts', async () => {
    const paper = makePaper({
      id: '2602.12345',
      title: 'Sparse Attention at Scale',
      authors: ['A', 'B', 'C', 'D', 'E', 'F'],
      upvotes: 42,
      numComments: 1,
      aiSummary: 'A sparse attention kernel that is fast.',
      githubRepo: 'https://github.com/org/sparse',
      githubStars: 1234,
      projectPage: 'https://sparse.example.org/',
      thumbnailUrl: 'https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2602.12345.png',
      organization: 'Sparse Lab',
      submittedBy: 'Ada Lovelace',
      publishedAt: '2026-02-01T17:59:00.000Z',
      aiKeywords: ['sparse attention', 'Sparse Attention', 'kernels', 'long context', 'GPUs'],
    });
    const rendered = await renderDigestVariant(dailyEdition('2026-02-03'), [toDigestCard(paper, 3)], settings);
    const shownInBothParts = [
      'Tuesday, 3 February 2026',
      'Sparse Attention at Scale',
      'A, B, C and 3 others',
      '▲ 42 upvotes',
      'Sparse Lab · submitted by Ada Lovelace · published 1 Feb 2026 · ★ 1.2K stars on GitHub',
      'sparse attention · kernels · long context',
      '1 comment',
      'A sparse attention kernel that is fast.',
      'https://arxiv.org/abs/2602.12345',
      'https://arxiv.org/pdf/2602.12345',
      'https://github.com/org/sparse',
      'https://sparse.example.org/',
      'Paperboy Ltd, 1 Main St, Springfield',
      'because you subscribed to Paperboy at news.example.org',
    ];
    for (const part of [rendered.html, rendered.text]) {
      for (const text of shownInBothParts) expect(part).toContain(text);
    }
    expect(rendered.html).toMatch(/<a href="https:\/\/huggingface.co\/papers\/2602.12345"[^>]*>Sparse Attention at Scale<\/a>/);
    // "View in browser" is the reader's copy: a per-reader placeholder, like their other links.
    expect(rendered.html).toContain(`<a href="${DIGEST_PLACEHOLDERS.webCopyUrl}" style="color:#3f3f46">View in browser</a>`);
    expect(rendered.text).toContain(`View in browser: ${DIGEST_PLACEHOLDERS.webCopyUrl}`);
    // The thumbnail: sized for email, described, linking to the paper.
    expect(rendered.html).toContain(
      '<a href="https://huggingface.co/papers/2602.12345"><img src="https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2602.12345.png" width="552" height="290" alt="Preview of “Sparse Attention at Scale”"',
    );
    expect(rendered.html).not.toContain('GPUs');
  });

  it('leaves out what a paper lacks: no image, no stars without a repository, no empty lines', async () => {
    const paper = makePaper({ title: 'Bare paper', authors: [], githubStars: 50, githubRepo: null, organization: null, aiKeywords: [] });
    const rendered = await renderDigestVariant(dailyEdition('2026-02-03'), [toDigestCard(paper, 1)], settings);
    expect(rendered.html).not.toContain('<img');
    expect(rendered.html).not.toContain('★');
    expect(rendered.html).toContain('>published 2 Feb 2026</p>');
    expect(rendered.text).not.toMatch(/Keywords:|★/);
  });

  it('shows a <script> title as text in the html and as-is in the text part', async () => {
    const paper = makePaper({ title: '<script>alert(1)</script>', authors: ['<b>Mallory</b>'], aiSummary: 'Tags like </think> & "quotes".' });
    const rendered = await renderDigestVariant(dailyEdition('2026-02-03'), [toDigestCard(paper, 1)], settings);
    expect(rendered.html).not.toContain('<script>');
    expect(rendered.html).not.toContain('<b>Mallory');
    expect(rendered.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(rendered.html).toContain('Tags like &lt;/think&gt; &amp; &quot;quotes&quot;.');
    expect(rendered.text).toContain('1. <script>alert(1)</script>');
    expect(rendered.text).toContain('Tags like </think> & "quotes".');
    // The subject is a header, not HTML: it keeps the characters.
    expect(rendered.subject).toContain('<script>alert(1)</script>');
  });

  it('is dark-mode aware, uses system fonts and loads nothing from outside', async () => {
    const rendered = await renderDigestVariant(dailyEdition('2026-02-03'), [toDigestCard(makePaper(), 1)], settings);
    expect(rendered.html).toContain('<meta name="color-scheme" content="light dark">');
    expect(rendered.html).toContain('@media (prefers-color-scheme: dark)');
    expect(rendered.html).toContain('-apple-system, BlinkMacSystemFont');
    expect(rendered.html).not.toContain('fonts.googleapis.com');
    expect(rendered.html).not.toMatch(/<link\b/);
    expect(rendered.html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
  });

  it('names a weekly edition by its week', async () => {
    const edition = { kind: 'weekly' as const, key: '2026-W06', periodStart: '2026-02-02', periodEnd: '2026-02-08' };
    const rendered = await renderDigestVariant(edition, [toDigestCard(makePaper({ title: 'Weekly best' }), 1)], settings);
    expect(rendered.subject).toBe('Weekly best');
    expect(rendered.html).toContain('Trending papers, week of 2 Feb 2026');
    expect(rendered.text).toContain('Week of 2 February 2026');
  });

  it('refuses to render an empty selection', async () => {
    await expect(renderDigestVariant(dailyEdition('2026-02-03'), [], settings)).rejects.toThrow(/at least one paper/);
  });
});

describe('createDigestRenderer', () => {
  const papers = fixturePapers('2026-08-13');

  it('compiles once per selection and shows the selection in rank order', async () => {
    const renderer = createDigestRenderer(dailyEdition('2026-08-13'), papers, settings);
    const ids = [papers[5]!.id, papers[0]!.id, papers[2]!.id];
    const first = await renderer.render(ids);
    const again = await renderer.render([...ids].reverse());
    expect(again).toBe(first);
    expect(renderer.cachedVariants).toBe(1);
    expect(first.paperIds).toEqual([papers[0]!.id, papers[2]!.id, papers[5]!.id]);
    expect(first.text.indexOf('1. ')).toBeLessThan(first.text.indexOf('3. '));
    expect(first.text).toContain('6. ');
    const other = await renderer.render([papers[1]!.id]);
    expect(other.variantKey).not.toBe(first.variantKey);
    expect(renderer.cachedVariants).toBe(2);
  });

  it('keeps at most maxCachedVariants results', async () => {
    const renderer = createDigestRenderer(dailyEdition('2026-08-13'), papers, settings, { maxCachedVariants: 2 });
    for (const paper of papers.slice(0, 5)) await renderer.render([paper.id]);
    expect(renderer.cachedVariants).toBe(2);
  });

  it('rejects ids that are not in the edition', async () => {
    const renderer = createDigestRenderer(dailyEdition('2026-08-13'), papers, settings);
    await expect(renderer.render(['9999.99999'])).rejects.toThrow(/not in edition 2026-08-13/);
  });
});

describe('fillDigestPlaceholders', () => {
  it('puts links into both parts, attribute-escaped in the html', async () => {
    const rendered = await renderDigestVariant(dailyEdition('2026-02-03'), [toDigestCard(makePaper(), 1)], settings);
    const filled = fillDigestPlaceholders(rendered, {
      unsubscribeUrl: 'https://x.org/u?a=1&b=2',
      preferencesUrl: 'https://x.org/p',
      stopTopicUrl: 'https://x.org/t?token=T',
      readerChoices: 'daily at 07:00 UTC, topics: r&d, 10 papers',
      webCopyUrl: 'https://x.org/editions/2026-02-03?copy=C&x=1',
    });
    expect(filled.html).toContain('href="https://x.org/u?a=1&amp;b=2"');
    expect(filled.text).toContain('https://x.org/u?a=1&b=2');
    expect(filled.html).toContain('<a href="https://x.org/editions/2026-02-03?copy=C&amp;x=1" style="color:#3f3f46">View in browser</a>');
    expect(filled.text).toContain('View in browser: https://x.org/editions/2026-02-03?copy=C&x=1');
    expect(filled.html).toContain('You chose: daily at 07:00 UTC, topics: r&amp;d, 10 papers.');
    expect(filled.text).toContain('You chose: daily at 07:00 UTC, topics: r&d, 10 papers.');
    expect(count(filled.html + filled.text, '%%')).toBe(0);
  });
});

describe('digestSubject and digestPreheader', () => {
  it('leads with the top title, stays within 70 characters and cuts at a word', () => {
    for (const day of ['2024-03-21', '2026-02-03', '2026-08-13'] as const) {
      const cards = fixturePapers(day).map((paper, i) => toDigestCard(paper, i + 1));
      const subject = digestSubject(cards);
      expect(subject.length, subject).toBeLessThanOrEqual(70);
      expect(subject).toMatch(new RegExp(` and ${cards.length - 1} more$`));
      const shown = subject.replace(/ and \d+ more$/, '');
      if (shown.endsWith('…')) {
        expect(cards[0]!.title.startsWith(shown.slice(0, -1))).toBe(true);
        // The cut falls between words.
        expect(cards[0]!.title[shown.length - 1]).toBe(' ');
      } else {
        expect(shown).toBe(cards[0]!.title);
      }
    }
    const long = toDigestCard(makePaper({ title: 'Scaling Laws for Sparse Mixture-of-Experts Language Models Trained on Synthetic Code Corpora' }), 1);
    expect(digestSubject([long, toDigestCard(makePaper(), 2)])).toBe('Scaling Laws for Sparse Mixture-of-Experts Language Models… and 1 more');
  });

  it('puts the date in the preheader, then the next titles', () => {
    const cards = [toDigestCard(makePaper({ title: 'First' }), 1), toDigestCard(makePaper({ title: 'Second' }), 2)];
    expect(digestPreheader(dailyEdition('2026-02-03'), cards)).toBe('Trending papers, 3 Feb 2026 · Second');
    expect(digestPreheader(dailyEdition('2026-02-03'), cards.slice(0, 1))).toBe('Trending papers, 3 Feb 2026');
  });
});

describe('a reader with topics', () => {
  const papers = fixturePapers('2026-08-13');

  it('gets the papers under the topic each matched, with where it matched, and a stop link per topic', async () => {
    const renderer = createDigestRenderer(dailyEdition('2026-08-13'), papers, settings);
    const ids = papers.slice(0, 10).map((paper) => paper.id);
    const plain = renderer.variant(ids);
    const topics = ['agent', 'diffusion'];
    const grouped = renderer.variant(ids, { topics });
    expect(plain.groups).toBeNull();
    expect(grouped.groups).not.toBeNull();
    expect(grouped.key).not.toBe(plain.key);
    // Every paper once, each under a topic it matches (or in the last, unnamed group).
    expect(grouped.groups!.flatMap((group) => group.papers.map((paper) => paper.id)).sort()).toEqual([...ids].sort());
    const named = grouped.groups!.filter((group) => group.topic !== null);
    expect(named.length).toBeGreaterThan(0);
    for (const group of named) for (const paper of group.papers) expect(paper.reason).toMatch(new RegExp(`^“${group.topic}” in the (title|keywords|summary|abstract)$`));

    const rendered = await renderer.renderVariant(grouped);
    const filled = fillDigestPlaceholders(rendered, {
      unsubscribeUrl: 'https://x.org/u',
      preferencesUrl: 'https://x.org/p',
      stopTopicUrl: 'https://x.org/topics/stop?token=T',
      readerChoices: 'daily at 07:00 UTC, topics: agent, diffusion, 10 papers',
      webCopyUrl: 'https://x.org/editions/2026-02-03?copy=C',
    });
    for (const group of named) {
      expect(filled.html).toContain(`Matched: ${group.topic}`);
      expect(filled.html).toContain(`href="https://x.org/topics/stop?token=T&amp;topic=${group.topic}"`);
      expect(filled.text).toContain(`Stop this topic: https://x.org/topics/stop?token=T&topic=${group.topic}`);
    }
    expect(filled.text).toContain('Matched “');
  });

  it('shares one variant between readers whose topics group the selection alike', async () => {
    const renderer = createDigestRenderer(dailyEdition('2026-08-13'), papers, settings);
    const ids = papers.slice(0, 10).map((paper) => paper.id);
    // A topic that matches nothing in the selection changes nothing.
    expect(renderer.variant(ids, { topics: ['agent', 'zzzunmatched'] }).key).toBe(renderer.variant(ids, { topics: ['agent'] }).key);
    expect(renderer.variant(ids, { topics: [] }).key).toBe(renderer.variant(ids).key);
    expect(renderer.variant(ids, { images: false }).key).not.toBe(renderer.variant(ids).key);
  });

  it('stays under 102 KB with the most papers and topics a reader may choose', async () => {
    const all = [...fixturePapers('2026-02-03'), ...fixturePapers('2026-08-13')].slice(0, MAX_PAPERS_LIMIT);
    const renderer = createDigestRenderer(dailyEdition('2026-02-03'), all, settings);
    // Twenty topics (the most allowed), each the first keyword of another paper: many groups.
    const topics = [...new Set(all.map((paper) => paper.aiKeywords[0]!.toLowerCase()))].slice(0, 20);
    const variant = renderer.variant(all.map((paper) => paper.id), { topics });
    expect(variant.groups!.filter((group) => group.topic !== null).length).toBeGreaterThanOrEqual(15);
    const rendered = await renderer.renderVariant(variant);
    // A reader's real links (the longest ids), and the longest time zone name.
    const links = readerLinks({ publicUrl: 'https://news.example.org', secretKey: 'k'.repeat(40) }, 2 ** 40);
    const filled = fillDigestPlaceholders(rendered, {
      ...links,
      readerChoices: `weekly on Wednesdays at 07:00 America/Argentina/ComodRivadavia, topics: ${topics.join(', ')}, 50 papers`,
      webCopyUrl: readerCopyUrl('https://news.example.org', { key: '2026-W06' }, createCopyToken('k'.repeat(40), 2 ** 40)),
    });
    expect(Buffer.byteLength(filled.html)).toBeLessThanOrEqual(102 * 1000);
  });

  it('leaves thumbnails out for a reader who turned images off', async () => {
    const renderer = createDigestRenderer(dailyEdition('2026-08-13'), papers, settings);
    const ids = papers.slice(0, 3).map((paper) => paper.id);
    expect((await renderer.render(ids)).html).toContain('<img ');
    expect((await renderer.render(ids, { images: false })).html).not.toContain('<img ');
  });
});

describe('a copy in sections', () => {
  const trending = [makePaper({ upvotes: 30 }), makePaper({ upvotes: 20 })];
  const both = trending[1]!;
  const newOnArxiv = makePaper({ upvotes: 0, title: 'Only on arXiv' });
  const lg = makePaper({ upvotes: 0 });
  const edition = {
    ...dailyEdition('2026-04-30'),
    sections: [
      { category: 'cs.CL', name: 'Computation and Language', papers: [both, newOnArxiv] },
      { category: 'cs.LG', name: 'Machine Learning', papers: [lg] },
    ],
  };
  const renderer = createDigestRenderer(edition, trending, settings);

  it('shows one heading per source, in the copy’s order, and an arXiv card without a badge when HF has no signal for it', async () => {
    const ids = [trending[0]!.id, both.id, lg.id, newOnArxiv.id];
    const rendered = await renderer.render(ids, { sections: ['hf', 'hf', 'cs.LG', 'cs.CL'] });
    const text = rendered.text;
    const order = ['=== Trending on Hugging Face ===', '=== New in cs.LG · Machine Learning ===', '=== New in cs.CL · Computation and Language ==='].map((h) => text.indexOf(h));
    expect(order.every((at) => at >= 0)).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(text).toContain('4 papers for this day: 2 trending on Hugging Face, 1 new in cs.LG on arXiv, 1 new in cs.CL on arXiv.');
    expect(rendered.subject).toMatch(/ and 3 more$/);
    expect(count(rendered.html, '▲')).toBe(2);
    expect(rendered.html).toContain(`<a href="https://arxiv.org/abs/${newOnArxiv.id}" style="color:#18181b">Only on arXiv</a>`);
    expect(rendered.html).not.toContain(`huggingface.co/papers/${newOnArxiv.id}`);
  });

  it('names a variant by its sections and their order, and keeps an all-trending copy as it was', () => {
    const ids = [trending[0]!.id, lg.id, newOnArxiv.id];
    const one = renderer.variant(ids, { sections: ['hf', 'cs.LG', 'cs.CL'] });
    const other = renderer.variant([trending[0]!.id, newOnArxiv.id, lg.id], { sections: ['hf', 'cs.CL', 'cs.LG'] });
    expect(one.key).not.toBe(other.key);
    expect(renderer.variant([trending[0]!.id], { sections: null })).toEqual(renderer.variant([trending[0]!.id]));
    expect(renderer.variant([trending[0]!.id]).sources).toBeNull();
    expect(() => renderer.variant([newOnArxiv.id], { sections: ['hf'] })).toThrow(/not in section hf/);
    expect(() => renderer.variant([lg.id], { sections: [] })).toThrow(/not in edition/);
  });
});
