import path from 'node:path';
import { importSamplePapers, SAMPLE_DAILY_DATE } from '../../core/papers/sample-papers.js';
import { formatImportSummary } from '../../core/papers/paper-import-service.js';
import { ConflictError } from '../../core/platform/errors.js';
import { startManualSend } from '../../core/sending/send-service.js';
import { DEFAULT_PREFERENCES } from '../../core/subscribers/preferences.js';
import { countSubscribersOtherThan, upsertImportedSubscribers } from '../../core/subscribers/subscriber-admin-repo.js';
import { findSubscriberByNormalizedEmail, restoreConfirmedSubscriber } from '../../core/subscribers/subscriber-repo.js';
import type { Command } from '../command.js';
import { describeOutcome, workSendRunWithProgress } from '../run-send.js';

const DEMO_READER = 'demo@example.org';
const CONSENT_FORM = 'cli-demo';

/**
 * `demo`: the whole product in one command on an empty install: real sample papers, a
 * confirmed demo reader, and the sample day's digest sent (to the outbox without SMTP_URL).
 * It freezes the sample day into an edition, which real readers must never get: so it refuses
 * production and any install with readers besides its own, before it writes anything, and its
 * send run walks its own reader only.
 */
export const demoCommand: Command = {
  name: 'demo',
  usage: 'demo',
  summary: 'on an empty install: import sample papers, subscribe a demo reader, send the digest (to the outbox) and say where to look',
  async run(context) {
    const runtime = await context.runtime();
    if (runtime.config.env === 'production') {
      throw new ConflictError('refused in production (NODE_ENV=production): it would freeze stale sample papers into the edition readers get; run it on a development install');
    }
    const others = await countSubscribersOtherThan(runtime.database.sql, DEMO_READER);
    if (others > 0) {
      throw new ConflictError(
        `this installation has ${others} ${others === 1 ? 'reader' : 'readers'} besides ${DEMO_READER}; demo runs only on an empty install, so it changed nothing and sent nothing`,
      );
    }
    context.print(formatImportSummary(await importSamplePapers(runtime)));

    // As an import with consent collected: confirmed at once, no confirmation email queued.
    // Idempotent: a second demo finds the reader confirmed and changes nothing.
    const now = runtime.clock();
    await upsertImportedSubscribers(
      runtime.database.sql,
      [{ email: DEMO_READER, emailNormalized: DEMO_READER, status: 'confirmed', ...DEFAULT_PREFERENCES, consentAt: now }],
      { now, consentForm: CONSENT_FORM },
    );
    let reader = await findSubscriberByNormalizedEmail(runtime.database.db, DEMO_READER);
    if (reader?.status === 'unsubscribed') {
      // The import never overrides an opt-out; the demo reader is the demo's own, so running
      // demo again is asking for it back.
      const consent = { at: now, ip: null, userAgent: null, form: CONSENT_FORM, source: 'import' as const };
      reader = (await restoreConfirmedSubscriber(runtime.database.db, reader.id, consent, {})) ?? reader;
      context.print(reader.status === 'confirmed' ? `demo reader ${DEMO_READER} had unsubscribed; subscribed it again for the demo` : `demo reader ${DEMO_READER} is unsubscribed`);
    } else if (reader?.status === 'confirmed') {
      context.print(`demo reader ${DEMO_READER} is subscribed`);
    }
    if (reader?.status !== 'confirmed') {
      throw new ConflictError(`demo reader ${DEMO_READER} is ${reader ? reader.status : 'suppressed (erased before)'}, so there is nobody to send the demo to`);
    }

    const started = performance.now();
    const run = await startManualSend(runtime, SAMPLE_DAILY_DATE, 'cli-demo', { onlySubscriberId: reader.id });
    const outcome = await workSendRunWithProgress(context, runtime, run.id);
    const outbox = path.resolve(runtime.config.mail.outboxDir);
    const where = runtime.mail.kind === 'outbox' ? `the digest is in ${outbox}` : 'the digest went to the SMTP server';
    context.print(describeOutcome(outcome, (performance.now() - started) / 1000, where));
    if (outcome.deliveries.sent === 0) context.print('(the demo reader already had this edition: nothing new to send)');
    context.print(`next: npm start, then open ${runtime.config.publicUrl}/dev/outbox to read it, ${runtime.config.publicUrl}/editions/${SAMPLE_DAILY_DATE} for the web version, and ${runtime.config.publicUrl}/ to sign up`);
    return 0;
  },
};
