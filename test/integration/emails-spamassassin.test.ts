import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { sampleEmail, type SampleEmailKind } from '../helpers/sample-emails.js';

/**
 * Every email Paperboy sends, scored by SpamAssassin's local rules (Debian's `spamassassin`,
 * which .ci/run installs): no network tests, so the score is about the message alone. All
 * three go through one `spamassassin --mbox` run, since starting it costs about a second.
 */

const KINDS: SampleEmailKind[] = ['digest', 'digest-topics', 'confirmation', 'manage-links'];

interface Verdict {
  score: number;
  rules: string[];
}

/** mboxrd: each message after a "From " line, its own "From " lines quoted. */
function toMbox(messages: Buffer[]): string {
  return messages
    .map((raw) => `From paperboy@example.org Fri Aug 14 06:30:00 2026\n${raw.toString('utf8').replace(/\r\n/g, '\n').replace(/^(>*From )/gm, '>$1')}\n`)
    .join('\n');
}

/** The X-Spam-Status of each message, in order: "No, score=0.7 required=5.0 tests=A,B autolearn=...". */
function verdictsOf(output: string): Verdict[] {
  const unfolded = output.replace(/\r?\n[ \t]+/g, ' ');
  return [...unfolded.matchAll(/^X-Spam-Status: \w+, score=(-?[\d.]+) required=[\d.]+ tests=(.*?) autolearn=/gm)].map((match) => ({
    score: Number(match[1]),
    rules: match[2]!.split(/[,\s]+/).filter(Boolean),
  }));
}

describe('every email, scored by SpamAssassin', () => {
  it('scores 0.0 for the digest, the confirmation and the links email', async () => {
    const messages = await Promise.all(KINDS.map((kind) => sampleEmail(kind)));
    const run = spawnSync('spamassassin', ['--local', '--test-mode', '--mbox'], { input: toMbox(messages), encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
    expect(run.error, 'spamassassin must be installed (apt-get install spamassassin; .ci/run does)').toBeUndefined();
    const verdicts = verdictsOf(run.stdout);
    expect(verdicts).toHaveLength(KINDS.length);
    for (const [index, kind] of KINDS.entries()) {
      console.info(`SpamAssassin ${kind}: score ${verdicts[index]!.score}, rules hit: ${verdicts[index]!.rules.join(', ') || 'none'}`);
    }
    for (const [index, kind] of KINDS.entries()) {
      expect(verdicts[index]!.score, `${kind} hit ${verdicts[index]!.rules.join(', ')}`).toBeLessThanOrEqual(0);
    }
  });
});
