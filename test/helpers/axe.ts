import axe from 'axe-core';
import type { Page } from 'playwright-core';

/**
 * axe-core in the page Chromium shows: its source is evaluated in the page (through the DevTools
 * protocol, which a page's Content-Security-Policy does not govern), then run on the whole document.
 * It needs a browser with scripts on: with them off its run never finishes.
 */

/** "serious color-contrast: Elements must meet minimum color contrast ratio thresholds at p > a (…)". */
export type AxeFinding = string;

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: unknown[]; failureSummary?: string }>;
}

/** The critical and serious findings of axe on what `page` shows now, one line per element. */
export async function seriousAxeFindings(page: Page): Promise<AxeFinding[]> {
  if (!(await page.evaluate<boolean>('typeof window.axe === "object"'))) await page.evaluate(axe.source);
  const violations = await page.evaluate<Violation[]>(`window.axe.run(document, { resultTypes: ['violations'] }).then((results) => results.violations)`);
  return violations
    .filter((violation) => violation.impact === 'critical' || violation.impact === 'serious')
    .flatMap((violation) =>
      violation.nodes.map((node) => `${violation.impact} ${violation.id}: ${violation.help} at ${node.target.join(' ')} (${(node.failureSummary ?? '').replace(/\s+/g, ' ').trim()})`),
    );
}
