import path from 'node:path';
import { importSamplePapers, SAMPLE_DAILY_DATE } from '../../core/papers/sample-papers.js';
import { formatImportSummary } from '../../core/papers/paper-import-service.js';
import { startManualSend } from '../../core/sending/send-service.js';
import { DEFAULT_PREFERENCES } from '../../core/subscribers/preferences.js';
import { upsertImportedSubscribers } from '../../core/subscribers/subscriber-admin-repo.js';
import type { Command } from '../command.js';
import { describeOutcome, workSendRunWithProgress } from '../run-send.js';

const DEMO_READER = 'demo@example.org';

/**
 * `demo`: the whole product in one command on an empty install: real sample papers, a
 * confirmed demo reader, and the sample day's digest sent (to the outbox without SMTP_URL).
 */
export const demoCommand: Command = {
  name: 'demo',
  usage: 'demo',
  summary: 'import sample papers, subscribe a demo reader, send the digest (to the outbox) and say where to look',
  async run(context) {
    const runtime = await context.runtime();
    context.print(formatImportSummary(await importSamplePapers(runtime)));

    // As an import with consent collected: confirmed at once, no confirmation email queued.
    // Idempotent: a second demo finds the reader confirmed and changes nothing.
    await upsertImportedSubscribers(
      runtime.database.sql,
      [{ email: DEMO_READER, emailNormalized: DEMO_READER, status: 'confirmed', ...DEFAULT_PREFERENCES, consentAt: runtime.clock() }],
      { now: runtime.clock(), consentForm: 'cli-demo' },
    );
    context.print(`demo reader ${DEMO_READER} is subscribed`);

    const started = performance.now();
    const run = await startManualSend(runtime, SAMPLE_DAILY_DATE, 'cli-demo');
    const outcome = await workSendRunWithProgress(context, runtime, run.id);
    const outbox = path.resolve(runtime.config.mail.outboxDir);
    const where = runtime.mail.kind === 'outbox' ? `the digest is in ${outbox}` : 'the digest went to the SMTP server';
    context.print(describeOutcome(outcome, (performance.now() - started) / 1000, where));
    if (outcome.deliveries.sent === 0) context.print('(the demo reader already had this edition: nothing new to send)');
    context.print(`next: npm start, then open ${runtime.config.publicUrl}/dev/outbox to read it, ${runtime.config.publicUrl}/editions/${SAMPLE_DAILY_DATE} for the web version, and ${runtime.config.publicUrl}/ to sign up`);
    return 0;
  },
};
