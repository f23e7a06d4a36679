import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousAxeFindings } from '../helpers/axe.js';
import { openBrowser, SCREENSHOTS, WIDTHS, type Browser } from '../helpers/browser.js';
import { sampleEmail, type SampleEmailKind } from '../helpers/sample-emails.js';

/**
 * The emails as a reader's client shows them, in Chromium: light and dark, phone and desktop.
 * Screenshots go to test-artifacts/screenshots/email-<kind>-<scheme>-<width>.png. Every piece of
 * visible text must be readable against what is behind it (WCAG AA contrast), nothing may
 * scroll sideways on a phone, and axe-core finds nothing critical or serious in either scheme.
 */

const KINDS: SampleEmailKind[] = ['digest', 'digest-topics', 'confirmation', 'manage-links'];
const SCHEMES = ['light', 'dark'] as const;

// Hugging Face's thumbnails, served locally: the test machine has no network.
const THUMBNAIL = `<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="630"><rect width="1200" height="630" fill="#c7d2fe"/><text x="60" y="330" font-size="64" font-family="sans-serif" fill="#1e1b4b">Paper thumbnail</text></svg>`;

interface LowContrast {
  text: string;
  ratio: number;
  needed: number;
}

/**
 * Runs in the page (as source: this project's TypeScript has no DOM types): visible text whose
 * colour is too close to the background behind it, by WCAG's formula.
 */
const FIND_LOW_CONTRAST = `(() => {
  const parse = (value) => {
    const match = /rgba?\\(([\\d.]+), ([\\d.]+), ([\\d.]+)(?:, ([\\d.]+))?\\)/.exec(value);
    return match ? { rgb: [Number(match[1]), Number(match[2]), Number(match[3])], alpha: match[4] === undefined ? 1 : Number(match[4]) } : undefined;
  };
  const luminance = (rgb) => {
    const [r, g, b] = rgb.map((channel) => {
      const c = channel / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const background = (element) => {
    for (let node = element; node; node = node.parentElement) {
      const color = parse(getComputedStyle(node).backgroundColor);
      if (color && color.alpha > 0) return color.rgb;
    }
    return [255, 255, 255];
  };
  const problems = [];
  for (const element of document.body.querySelectorAll('*')) {
    const ownText = [...element.childNodes].filter((node) => node.nodeType === Node.TEXT_NODE).map((node) => node.textContent).join('').trim();
    if (!ownText || element.getClientRects().length === 0) continue;
    const style = getComputedStyle(element);
    if (style.visibility === 'hidden' || Number(style.opacity) === 0) continue;
    const color = parse(style.color);
    if (!color) continue;
    const [lighter, darker] = [luminance(color.rgb), luminance(background(element))].sort((a, b) => b - a);
    const ratio = (lighter + 0.05) / (darker + 0.05);
    const size = parseFloat(style.fontSize);
    const needed = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700) ? 3 : 4.5;
    if (ratio < needed) problems.push({ text: ownText.slice(0, 60), ratio: Math.round(ratio * 100) / 100, needed });
  }
  return problems;
})()`;

describe('every email in Chromium, light and dark, phone and desktop', () => {
  let browser: Browser;
  const html = new Map<SampleEmailKind, string>();

  beforeAll(async () => {
    for (const kind of KINDS) {
      const parsed = await simpleParser(await sampleEmail(kind));
      html.set(kind, parsed.html || '');
    }
    // Scripts on for axe: the emails carry none (checked below), so they show as in a mail client.
    browser = await openBrowser();
    await browser.context.route('https://cdn-thumbnails.huggingface.co/**', (route) => route.fulfill({ contentType: 'image/svg+xml', body: THUMBNAIL }));
    await mkdir(SCREENSHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it.each(KINDS)('%s: readable text in both schemes, no sideways scrolling at 390 px, nothing serious for axe, screenshots saved', async (kind) => {
    const { page } = browser;
    const problems: string[] = [];
    const axeFindings: string[] = [];
    expect(html.get(kind)).not.toMatch(/<script\b|\son[a-z]+=/i);
    for (const scheme of SCHEMES) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const { label, width, height } of WIDTHS) {
        await page.setViewportSize({ width, height });
        await page.setContent(html.get(kind)!, { waitUntil: 'load' });
        await page.screenshot({ path: path.join(SCREENSHOTS, `email-${kind}-${scheme}-${width}.png`), fullPage: true });
        const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
        if (label === 'phone') expect(overflow, `${kind} ${scheme} scrolls sideways by ${overflow} px at ${width} px`).toBeLessThanOrEqual(0);
        for (const low of await page.evaluate<LowContrast[]>(FIND_LOW_CONTRAST)) problems.push(`${scheme} ${width}px: "${low.text}" ${low.ratio}:1 (needs ${low.needed}:1)`);
        if (label === 'desktop') for (const finding of await seriousAxeFindings(page)) axeFindings.push(`${scheme}: ${finding}`);
      }
    }
    expect(problems).toEqual([]);
    expect(axeFindings).toEqual([]);
    // The thumbnails loaded and are sized for the column, not their 1200 px file.
    if (kind === 'digest' || kind === 'digest-topics') {
      const images = await page.evaluate<Array<{ loaded: boolean; width: number; alt: string }>>(
        '[...document.images].map((image) => ({ loaded: image.complete && image.naturalWidth > 0, width: image.getBoundingClientRect().width, alt: image.alt }))',
      );
      expect(images.length).toBeGreaterThan(0);
      for (const image of images) {
        expect(image.loaded).toBe(true);
        expect(image.width).toBeLessThanOrEqual(552);
        expect(image.alt).toMatch(/^Preview of “.+”$/);
      }
    }
  });
});
