import type { Config } from '../../platform/config/config.js';
import type { HttpGet } from '../../platform/http/http-get.js';
import { applyMailEvents, type AppliedMailEvent, type BounceDeps, type OnMailEventApplied } from '../bounce-service.js';
import { readSesNotification } from './ses.js';
import { isSnsUrl, parseSnsMessage, verifySnsSignature, type SnsCertificates } from './sns-signature.js';

/**
 * One POST to /webhooks/ses, decided: an SNS message is accepted only from an allowed topic,
 * recent, and signed by SNS (its certificate on an SNS host); then a subscription is confirmed,
 * or the SES notification it carries is applied through applyMailEvents. Anything refused changes
 * nothing. The route only turns the result into an answer, a log line and a count.
 */

/** Older than this, a message is refused: a captured message cannot be replayed later. */
export const SNS_MAX_AGE_MS = 60 * 60 * 1000;
/** Further ahead than this (clocks drift), a message is refused too. */
export const SNS_MAX_AHEAD_MS = 5 * 60 * 1000;

export interface SesWebhookDeps extends BounceDeps {
  config: BounceDeps['config'] & { mail: Pick<Config['mail'], 'bounceDomain'> };
  /** SES_SNS_TOPIC_ARNS: the topics whose messages are accepted. */
  topicArns: readonly string[];
  certificates: SnsCertificates;
  /** Visits a SubscribeURL. */
  httpGet: HttpGet;
}

export type SesRefusal = 'malformed' | 'wrong-topic' | 'stale' | 'bad-cert-url' | 'bad-certificate' | 'bad-signature' | 'bad-subscribe-url';

export type SesWebhookResult =
  | { outcome: 'refused'; status: 400 | 403; reason: SesRefusal; message: string; field?: string }
  /** Something we depend on did not answer (the certificate host, the confirmation link): SNS retries. */
  | { outcome: 'unavailable'; reason: 'certificate-unreachable' | 'confirmation-failed'; message: string }
  | { outcome: 'subscription-confirmed'; topicArn: string }
  | { outcome: 'unsubscribe-confirmed'; topicArn: string }
  | { outcome: 'ignored'; reason: string }
  | { outcome: 'applied'; results: AppliedMailEvent[] };

const refused = (status: 400 | 403, reason: SesRefusal, message: string, field?: string): SesWebhookResult => ({
  outcome: 'refused',
  status,
  reason,
  message,
  ...(field ? { field } : {}),
});

/** `onApplied` hears of each event as it is applied, also of those before a failure midway (see applyMailEvents). */
export async function receiveSesWebhook(deps: SesWebhookDeps, body: string, onApplied?: OnMailEventApplied): Promise<SesWebhookResult> {
  const parsed = parseSnsMessage(body);
  if (!parsed.ok) return refused(400, 'malformed', `Not an SNS message: ${parsed.field} ${parsed.problem}`, parsed.field);
  const message = parsed.message;

  if (!deps.topicArns.includes(message.TopicArn)) {
    return refused(403, 'wrong-topic', `The message comes from SNS topic ${message.TopicArn.slice(0, 300)}, which SES_SNS_TOPIC_ARNS does not list`, 'TopicArn');
  }
  const age = deps.clock().getTime() - Date.parse(message.Timestamp);
  if (age > SNS_MAX_AGE_MS) return refused(403, 'stale', 'The message is more than an hour old', 'Timestamp');
  if (age < -SNS_MAX_AHEAD_MS) return refused(403, 'stale', 'The message is dated in the future', 'Timestamp');
  if (!isSnsUrl(message.SigningCertURL, 'pem')) {
    return refused(403, 'bad-cert-url', 'SigningCertURL must be an https .pem URL on an SNS host (sns.<region>.amazonaws.com)', 'SigningCertURL');
  }

  const certificate = await deps.certificates.publicKeyAt(message.SigningCertURL, deps.clock());
  if (!certificate.ok) {
    if (certificate.problem === 'unreachable') return { outcome: 'unavailable', reason: 'certificate-unreachable', message: `Could not fetch the signing certificate: ${certificate.detail}` };
    return refused(403, 'bad-certificate', `The signing certificate is unusable: ${certificate.detail}`, 'SigningCertURL');
  }
  if (!verifySnsSignature(message, certificate.publicKey)) return refused(403, 'bad-signature', 'The message signature does not verify', 'Signature');

  if (message.Type === 'UnsubscribeConfirmation') return { outcome: 'unsubscribe-confirmed', topicArn: message.TopicArn };
  if (message.Type === 'SubscriptionConfirmation') {
    const subscribeUrl = message.SubscribeURL ?? '';
    if (!isSnsUrl(subscribeUrl, 'any')) return refused(403, 'bad-subscribe-url', 'SubscribeURL must be an https URL on an SNS host', 'SubscribeURL');
    let status: number;
    try {
      status = (await deps.httpGet(subscribeUrl)).status;
    } catch (error) {
      return { outcome: 'unavailable', reason: 'confirmation-failed', message: `Could not visit the SubscribeURL: ${error instanceof Error ? error.message : String(error)}` };
    }
    if (status !== 200) return { outcome: 'unavailable', reason: 'confirmation-failed', message: `The SubscribeURL answered ${status}` };
    return { outcome: 'subscription-confirmed', topicArn: message.TopicArn };
  }

  const reading = readSesNotification(message.Message, {
    snsMessageId: message.MessageId,
    bounceDomain: deps.config.mail.bounceDomain,
    receivedAt: deps.clock(),
  });
  if ('ignored' in reading) return { outcome: 'ignored', reason: reading.ignored };
  return { outcome: 'applied', results: await applyMailEvents(deps, reading.events, onApplied) };
}
