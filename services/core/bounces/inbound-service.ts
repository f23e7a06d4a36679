import type { Config } from '../platform/config/config.js';
import { applyMailEvents, type BounceDeps, type OnMailEventApplied } from './bounce-service.js';
import { readInboundReport } from './inbound-report.js';

/**
 * One message received by the bounce receiver, read and applied: the SMTP shell hands over the
 * bytes and the envelope, and logs what this answers.
 */

export interface InboundDeps extends BounceDeps {
  config: BounceDeps['config'] & { mail: Pick<Config['mail'], 'bounceDomain'> };
}

/**
 * Why the message carried nothing to apply; undefined once its events are applied. `onApplied`
 * hears of each event as it is applied, so that those stored before Postgres goes away midway
 * are logged and counted too (see applyMailEvents).
 */
export async function receiveInboundReport(
  deps: InboundDeps,
  raw: Buffer,
  envelope: { recipients: readonly string[] },
  onApplied: OnMailEventApplied,
): Promise<{ ignored: string } | undefined> {
  const bounceDomain = deps.config.mail.bounceDomain;
  if (!bounceDomain) return { ignored: 'BOUNCE_DOMAIN is not set' };
  const reading = readInboundReport(raw, { envelopeRecipients: envelope.recipients, bounceDomain, receivedAt: deps.clock() });
  if ('ignored' in reading) return reading;
  await applyMailEvents(deps, reading.events, onApplied);
  return undefined;
}
