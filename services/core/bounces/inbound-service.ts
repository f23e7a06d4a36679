import type { Config } from '../platform/config/config.js';
import { applyMailEvents, type BounceDeps, type MailEventOutcome } from './bounce-service.js';
import { readInboundReport } from './inbound-report.js';
import type { MailEvent } from './mail-event.js';

/**
 * One message received by the bounce receiver, read and applied: the SMTP shell hands over the
 * bytes and the envelope, and logs what this answers.
 */

export interface InboundDeps extends BounceDeps {
  config: BounceDeps['config'] & { mail: Pick<Config['mail'], 'bounceDomain'> };
}

export type InboundResult =
  | { ignored: string }
  | { applied: Array<{ event: Pick<MailEvent, 'source' | 'kind' | 'detail'>; outcome: MailEventOutcome }> };

export async function receiveInboundReport(
  deps: InboundDeps,
  raw: Buffer,
  envelope: { recipients: readonly string[] },
): Promise<InboundResult> {
  const bounceDomain = deps.config.mail.bounceDomain;
  if (!bounceDomain) return { ignored: 'BOUNCE_DOMAIN is not set' };
  const reading = readInboundReport(raw, { envelopeRecipients: envelope.recipients, bounceDomain, receivedAt: deps.clock() });
  if ('ignored' in reading) return reading;
  const applied = await applyMailEvents(deps, reading.events);
  return { applied: applied.map(({ event, outcome }) => ({ event: { source: event.source, kind: event.kind, detail: event.detail }, outcome })) };
}
