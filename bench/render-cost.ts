import { generateKeyPairSync } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import DKIM from 'nodemailer/lib/dkim';
import MailComposer from 'nodemailer/lib/mail-composer';
import { toDigestCard } from '../services/core/digest/digest-content.js';
import { readerLinks } from '../services/core/subscribers/reader-links.js';
import { fillDigestMessage, prepareDigestMessage, type DigestSettings } from '../services/core/digest/digest-message.js';
import type { DigestEdition, DigestPaper } from '../services/core/digest/digest-types.js';
import { fillDigestPlaceholders, renderDigestVariant } from '../services/core/digest/render-digest.js';

/**
 * What one email costs when only the reader's parts are filled into a message built once per
 * variant, against the naive way (compile MJML and compose the MIME message per reader).
 * Not a test: timings depend on the machine. `npx tsx bench/render-cost.ts` prints them;
 * the bench command calls `measureRenderCost`.
 */

export interface RenderCostOptions {
  /** Papers in the digest (synthetic, realistic lengths). Default 10. */
  papers?: number;
  /** MJML compiles and MIME compositions timed. Default 30. */
  compiles?: number;
  /** Per-reader fills timed. Default 20000. */
  fills?: number;
  /** Also time DKIM signing of one filled message (2048-bit RSA). Default true. */
  dkim?: boolean;
}

export interface RenderCostFigures {
  papers: number;
  /** Median milliseconds: MJML compile of one variant (Handlebars + mjml2html). */
  mjmlCompileMs: number;
  /** Median milliseconds: nodemailer MailComposer building one complete message. */
  composeMs: number;
  /** Median milliseconds: building the prepared (slotted) message of a variant, once. */
  prepareMs: number;
  /** Mean microseconds per email: tokens, address check, slot filling, one Buffer. */
  fillUs: number;
  /** Median milliseconds: DKIM-signing one filled message (what the transport adds per email). */
  dkimSignMs: number | undefined;
  /** Bytes of one filled message and of its HTML. */
  messageBytes: number;
  htmlBytes: number;
  /** (MJML compile + compose) per reader divided by the fill: how much the design saves. */
  naiveOverFill: number;
}

const edition: DigestEdition = { kind: 'daily', key: '2026-02-03', periodStart: '2026-02-03', periodEnd: '2026-02-03' };

const settings: DigestSettings = {
  from: 'Paperboy <papers@news.example.org>',
  publicUrl: 'https://news.example.org',
  secretKey: 'bench-secret-key-bench-secret-key-bench',
  postalAddress: 'Paperboy, 1 Example Street, Exampletown',
  installationId: '0000000000000000',
  // `BOUNCE_DOMAIN=... npm run bench` measures the fill with a signed return path per reader.
  bounceDomain: process.env.BOUNCE_DOMAIN,
};

function syntheticPapers(count: number): DigestPaper[] {
  const sentence = 'We propose a method that improves reasoning in large language models with verifiable rewards and careful data curation.';
  return Array.from({ length: count }, (_, i) => ({
    id: `2602.${String(10000 + i)}`,
    title: `Scaling Verifiable Rewards for Multimodal Reasoning Agents, Part ${i + 1}`,
    abstract: Array.from({ length: 9 }, () => sentence).join(' '),
    authors: Array.from({ length: 8 + (i % 30) }, (_, a) => `Author Name ${a + 1}`),
    aiSummary: `${sentence} It reaches state-of-the-art results on several benchmarks.`,
    aiKeywords: ['reasoning', 'reinforcement learning', 'multimodal', 'agents'],
    githubRepo: i % 2 === 0 ? `https://github.com/example/project-${i}` : null,
    githubStars: i % 2 === 0 ? 1200 + i * 37 : null,
    projectPage: i % 3 === 0 ? `https://project-${i}.example.org/` : null,
    thumbnailUrl: `https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2602.${String(10000 + i)}.png`,
    organization: i % 3 === 1 ? 'Example Research Lab' : null,
    publishedAt: '2026-02-02T17:00:00.000Z',
    upvotes: 100 - i,
    numComments: i % 5,
  }));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function timeMs<T>(runs: number, work: (run: number) => Promise<T> | T): Promise<number[]> {
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const start = performance.now();
    await work(run);
    times.push(performance.now() - start);
  }
  return times;
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

export async function measureRenderCost(options: RenderCostOptions = {}): Promise<RenderCostFigures> {
  const paperCount = options.papers ?? 10;
  const compiles = options.compiles ?? 30;
  const fills = options.fills ?? 20_000;
  const cards = syntheticPapers(paperCount).map((paper, i) => toDigestCard(paper, i + 1));

  // Warm-up: module loading and the first compile (~1 s) are not what a send pays per variant.
  const rendered = await renderDigestVariant(edition, cards, settings);
  await renderDigestVariant(edition, cards, settings);
  const mjmlTimes = await timeMs(compiles, () => renderDigestVariant(edition, cards, settings));

  // The naive per-reader path: fill the links into the html, then compose the whole message.
  const composeTimes = await timeMs(compiles, async (run) => {
    const links = readerLinks(settings, run + 1);
    const filled = fillDigestPlaceholders(rendered, links);
    await new MailComposer({
      from: settings.from,
      to: `reader${run}@example.com`,
      subject: rendered.subject,
      headers: { 'List-Unsubscribe': `<${links.unsubscribeUrl}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
      text: filled.text,
      html: filled.html,
    })
      .compile()
      .build();
  });

  const prepareTimes = await timeMs(Math.max(5, Math.floor(compiles / 3)), () => prepareDigestMessage(rendered, edition, settings));
  const prepared = await prepareDigestMessage(rendered, edition, settings);
  const sentAt = new Date('2026-02-04T06:00:00Z');
  let bytes = 0;
  for (let i = 0; i < 1000; i++) fillDigestMessage(prepared, { subscriberId: i + 1, email: `reader${i}@example.com`, deliveryId: i + 1 }, sentAt);
  const fillStart = performance.now();
  for (let i = 0; i < fills; i++) {
    bytes = fillDigestMessage(prepared, { subscriberId: i + 1, email: `reader${i}@example.com`, deliveryId: 100_000 + i }, sentAt).raw.length;
  }
  const fillUs = ((performance.now() - fillStart) * 1000) / fills;

  let dkimSignMs: number | undefined;
  if (options.dkim ?? true) {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    const signer = new DKIM({ domainName: 'news.example.org', keySelector: 'bench', privateKey });
    const raw = fillDigestMessage(prepared, { subscriberId: 1, email: 'reader@example.com', deliveryId: 1 }, sentAt).raw;
    const sign = () =>
      new Promise<void>((resolve, reject) => {
        const stream = signer.sign(raw);
        stream.on('data', () => {});
        stream.on('end', resolve);
        stream.on('error', reject);
      });
    await sign();
    dkimSignMs = round(median(await timeMs(Math.max(20, compiles), sign)), 3);
  }

  const mjmlCompileMs = median(mjmlTimes);
  const composeMs = median(composeTimes);
  return {
    papers: paperCount,
    mjmlCompileMs: round(mjmlCompileMs, 2),
    composeMs: round(composeMs, 3),
    prepareMs: round(median(prepareTimes), 3),
    fillUs: round(fillUs, 1),
    dkimSignMs,
    messageBytes: bytes,
    htmlBytes: Buffer.byteLength(rendered.html),
    naiveOverFill: Math.round(((mjmlCompileMs + composeMs) * 1000) / fillUs),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const papers of [10, 40]) {
    const figures = await measureRenderCost({ papers });
    console.log(JSON.stringify(figures));
  }
}
