import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import DKIM from 'nodemailer/lib/dkim';
import { createDkimSigner } from '../services/core/platform/mail/dkim.js';
import MailComposer from 'nodemailer/lib/mail-composer';
import { toDigestCard } from '../services/core/digest/digest-content.js';
import { readerLinks } from '../services/core/subscribers/reader-links.js';
import { fillDigestMessage, prepareDigestMessage, type DigestSettings } from '../services/core/digest/digest-message.js';
import type { DigestEdition, DigestPaper } from '../services/core/digest/digest-types.js';
import { fillDigestPlaceholders, readerCopyUrl, renderDigestVariant } from '../services/core/digest/render-digest.js';
import { createCopyToken } from '../services/core/platform/tokens/copy-token.js';

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
  /** Signed fills timed (each costs an RSA-2048 signature). Default 3000. */
  signedFills?: number;
}

/**
 * What DKIM adds per email, in worker CPU (process.cpuUsage, so another process's load on the
 * machine counts less than in wall time), against the bare RSA-2048 signature in the same run.
 * Plain fills, signed fills and bare signatures are timed in alternating rounds.
 */
export interface DkimCostFigures {
  /** One crypto.sign (RSA-2048, SHA-256) over 32 bytes: the floor of any RSA DKIM signature. */
  bareSignUs: number;
  /** Fill of one copy without DKIM, and with Paperboy's DKIM signing (RSA-2048). */
  fillUs: number;
  signedFillUs: number;
  /** signedFillUs - fillUs, and that over bareSignUs (target ≤ 1.5). */
  extraUs: number;
  extraOverBare: number;
  /** Also signing with Ed25519 (DKIM_ED25519_PRIVATE_KEY): extra over the plain fill. */
  dualSignedExtraUs: number;
  /** nodemailer's DKIM signer over one filled message: what the transport's `dkim` option cost per email. */
  nodemailerUs: number;
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
  dkim: DkimCostFigures;
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
  dkim: undefined,
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
    submittedBy: 'Ada Lovelace',
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
    const webCopyUrl = readerCopyUrl(settings.publicUrl, edition, createCopyToken(settings.secretKey, run + 1));
    const filled = fillDigestPlaceholders(rendered, { ...links, readerChoices: 'daily at 07:00 UTC, all topics, 10 papers', webCopyUrl });
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

  const dkim = await measureDkimCost(rendered, Math.max(100, options.signedFills ?? 3000));
  const mjmlCompileMs = median(mjmlTimes);
  const composeMs = median(composeTimes);
  return {
    papers: paperCount,
    mjmlCompileMs: round(mjmlCompileMs, 2),
    composeMs: round(composeMs, 3),
    prepareMs: round(median(prepareTimes), 3),
    fillUs: round(fillUs, 1),
    dkim,
    messageBytes: bytes,
    htmlBytes: Buffer.byteLength(rendered.html),
    naiveOverFill: Math.round(((mjmlCompileMs + composeMs) * 1000) / fillUs),
  };
}

/**
 * The same bare signature, timed a few at a time while a send runs (`sample` is called on each of
 * the send's progress checks): its CPU cost on the machine as busy as the worker finds it. On
 * this 2-core machine the send keeps both cores busy (worker, Postgres, the sink), and an RSA
 * signature then takes 10-40 % more CPU time than on an idle machine (shared caches, and a
 * virtual core's host sibling busy too): the worker's signatures pay that, so the idle figure
 * would count the load's slowdown of the signature as DKIM's extra work. A few signatures per
 * check (about 1 ms every 250 ms) add nothing the send would notice.
 */
export function createBareSignSampler(): { sample(count?: number): void; readonly signatures: number; meanUs(): number } {
  const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const digest = randomBytes(32);
  cpuUsPer(20, () => sign('sha256', digest, key));
  let signatures = 0;
  let totalUs = 0;
  return {
    sample(count = 3) {
      totalUs += cpuUsPer(count, () => sign('sha256', digest, key)) * count;
      signatures += count;
    },
    get signatures() {
      return signatures;
    },
    meanUs: () => round(totalUs / Math.max(1, signatures), 1),
  };
}

/** CPU microseconds of one RSA-2048 crypto.sign over 32 bytes, the floor of any RSA DKIM signature. */
export function measureBareRsaSignUs(count = 500): number {
  const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const digest = randomBytes(32);
  cpuUsPer(20, () => sign('sha256', digest, key));
  return round(cpuUsPer(count, () => sign('sha256', digest, key)), 1);
}

/** CPU microseconds (user + system) per call of `work`, over `count` calls. */
function cpuUsPer(count: number, work: (i: number) => unknown): number {
  const before = process.cpuUsage();
  for (let i = 0; i < count; i++) work(i);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / count;
}

async function measureDkimCost(rendered: Awaited<ReturnType<typeof renderDigestVariant>>, signedFills: number): Promise<DkimCostFigures> {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const ed25519 = generateKeyPairSync('ed25519').privateKey;
  const rsaSigner = createDkimSigner({ domain: 'news.example.org', rsa: { selector: 'bench', privateKey: rsa } });
  const dualSigner = createDkimSigner({ domain: 'news.example.org', rsa: { selector: 'bench', privateKey: rsa }, ed25519: { selector: 'bench-ed', privateKey: ed25519 } });
  const plain = await prepareDigestMessage(rendered, edition, settings);
  const signed = await prepareDigestMessage(rendered, edition, { ...settings, dkim: rsaSigner });
  const dual = await prepareDigestMessage(rendered, edition, { ...settings, dkim: dualSigner });
  const sentAt = new Date('2026-02-04T06:00:00Z');
  const reader = (i: number) => ({ subscriberId: i + 1, email: `reader${i}@example.com`, deliveryId: 200_000 + i });
  const digest = randomBytes(32);

  const rounds = 5;
  const perRound = Math.ceil(signedFills / rounds);
  const totals = { bare: 0, plain: 0, signed: 0, dual: 0 };
  for (let pass = 0; pass <= rounds; pass++) {
    const times = {
      bare: cpuUsPer(perRound, () => sign('sha256', digest, rsa)),
      plain: cpuUsPer(perRound * 4, (i) => fillDigestMessage(plain, reader(i), sentAt)),
      signed: cpuUsPer(perRound, (i) => fillDigestMessage(signed, reader(i), sentAt)),
      dual: cpuUsPer(perRound, (i) => fillDigestMessage(dual, reader(i), sentAt)),
    };
    // Round 0 warms the code paths up.
    if (pass > 0) for (const key of Object.keys(totals) as (keyof typeof totals)[]) totals[key] += times[key] / rounds;
  }

  const nodemailerSigner = new DKIM({ domainName: 'news.example.org', keySelector: 'bench', privateKey: rsa.export({ type: 'pkcs8', format: 'pem' }) as string });
  const raw = fillDigestMessage(plain, reader(1), sentAt).raw;
  const nodemailerSign = () =>
    new Promise<void>((resolve, reject) => {
      const stream = nodemailerSigner.sign(raw);
      stream.on('data', () => {});
      stream.on('end', resolve);
      stream.on('error', reject);
    });
  await nodemailerSign();
  const runs = Math.max(50, Math.floor(signedFills / 10));
  const before = process.cpuUsage();
  for (let i = 0; i < runs; i++) await nodemailerSign();
  const used = process.cpuUsage(before);

  const extraUs = totals.signed - totals.plain;
  return {
    bareSignUs: round(totals.bare, 1),
    fillUs: round(totals.plain, 1),
    signedFillUs: round(totals.signed, 1),
    extraUs: round(extraUs, 1),
    extraOverBare: round(extraUs / totals.bare, 2),
    dualSignedExtraUs: round(totals.dual - totals.plain, 1),
    nodemailerUs: round((used.user + used.system) / runs, 1),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const papers of [10, 40]) {
    const figures = await measureRenderCost({ papers });
    console.log(JSON.stringify(figures));
  }
}
