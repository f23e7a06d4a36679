import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { PROJECT_ROOT } from './processes.js';

/** Debian's Chromium, headless, with nothing reaching for the network this machine does not have. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const SCREENSHOTS = path.join(PROJECT_ROOT, 'test-artifacts', 'screenshots');

export const WIDTHS = [
  { label: 'desktop', width: 1280, height: 900 },
  { label: 'phone', width: 390, height: 844 },
] as const;

export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

export interface BrowserOptions {
  javaScriptEnabled?: boolean;
  timezoneId?: string;
  /**
   * Host names this browser resolves to 127.0.0.1, so a page can be opened under a name that is
   * not loopback to the browser (no secure-context exemption) while traffic stays on loopback.
   */
  loopbackHosts?: string[];
}

/** A fresh Chromium with an empty profile of its own. */
export async function openBrowser(options: BrowserOptions = {}): Promise<Browser> {
  const hostRules = (options.loopbackHosts ?? []).map((host) => `MAP ${host} 127.0.0.1`);
  const profile = await mkdtemp(path.join(tmpdir(), 'paperboy-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    args: hostRules.length > 0 ? [...CHROMIUM_ARGS, `--host-resolver-rules=${hostRules.join(',')}`] : CHROMIUM_ARGS,
    headless: true,
    timezoneId: options.timezoneId ?? 'Europe/Berlin',
    locale: 'en-GB',
    acceptDownloads: true,
    viewport: { width: 1280, height: 900 },
    javaScriptEnabled: options.javaScriptEnabled ?? true,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Saves full-page screenshots of what `page` shows at each width as `<name>-<width label>.png`. */
export async function screenshotAtWidths(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  for (const { label, width, height } of WIDTHS) {
    await page.setViewportSize({ width, height });
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${label}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}
