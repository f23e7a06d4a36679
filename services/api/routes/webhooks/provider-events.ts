import type { FastifyReply, FastifyRequest } from 'fastify';
import { applyMailEvents, type MailEventOutcome } from '../../../core/bounces/bounce-service.js';
import type { MailEvent } from '../../../core/bounces/mail-event.js';
import { isDatabaseUnavailable } from '../../../core/platform/db/client.js';
import { DependencyUnavailableError } from '../../../core/platform/errors.js';
import type { BounceKind } from '../../../core/platform/metrics/metrics.js';
import type { Runtime } from '../../../runtime.js';

/**
 * What the webhook routes share once a request is authenticated (SES only reports its events here):
 * applying its events, answering, counting and logging. Providers retry a request answered with
 * anything but a 2xx, so every event taken in (applied, a duplicate, about no message of ours, or
 * not a bounce at all) is answered 200; a refusal is answered 401/403/400/404 and changes nothing;
 * Postgres away is a 503, and the provider sends the request again later.
 */

/** paperboy_bounces_total's kind label of each applied event. */
const BOUNCE_KIND_OF_EVENT = { hard_bounce: 'hard', soft_bounce: 'soft', complaint: 'complaint' } as const satisfies Record<MailEvent['kind'], BounceKind>;

export interface WebhookSummary {
  /** Events applied to the ledger now. */
  applied: number;
  /** Events stored before (the provider sent them again). */
  duplicates: number;
  /** Events about no message or reader of ours (or a forged return-path token). */
  unknown: number;
  /** Events that are not bounces or complaints, or not about the reader's address. */
  ignored: number;
}

/** Applies the events through the bounces core (in order), logging, counting and summing up each as it is applied. */
export async function applyWebhookEvents(
  runtime: Runtime,
  request: FastifyRequest,
  provider: string,
  reading: { events: MailEvent[]; ignored: string[] },
): Promise<WebhookSummary> {
  const { database, clock, config, metrics } = runtime;
  const summary: WebhookSummary = { applied: 0, duplicates: 0, unknown: 0, ignored: reading.ignored.length };
  for (const reason of reading.ignored) {
    request.log.debug({ provider, reason }, `${provider} webhook: event ignored`);
    metrics.recordBounceReport(provider, 'ignored');
  }
  try {
    await applyMailEvents({ database, clock, config }, reading.events, ({ event, outcome }) => {
      reportEventOutcome(runtime, request, provider, event, outcome);
      if (outcome.applied) summary.applied += 1;
      else if (outcome.reason === 'duplicate') summary.duplicates += 1;
      else summary.unknown += 1;
    });
  } catch (error) {
    if (!isDatabaseUnavailable(error)) throw error;
    // The events before the failed one are stored, and were logged and counted as they were;
    // the provider's retry finds them duplicates.
    throw new DependencyUnavailableError('Postgres is not answering; the events were not all stored, send them again later');
  }
  return summary;
}

/**
 * Logs and counts what applying one event did, the same for every webhook: applied events also
 * count in paperboy_bounces_total; an event about no message of ours is logged at warn.
 */
export function reportEventOutcome(
  runtime: Pick<Runtime, 'metrics'>,
  request: FastifyRequest,
  provider: string,
  event: MailEvent,
  outcome: MailEventOutcome,
): void {
  const fields = { provider, eventKey: event.eventKey, kind: event.kind, detail: event.detail, ...outcome };
  if (outcome.applied) {
    runtime.metrics.recordBounce(BOUNCE_KIND_OF_EVENT[event.kind]);
    request.log.info(fields, `${provider} webhook: ${event.kind} applied`);
  } else {
    request.log[outcome.reason === 'duplicate' ? 'info' : 'warn'](fields, `${provider} webhook: ${event.kind} not applied (${outcome.reason})`);
  }
  runtime.metrics.recordBounceReport(provider, outcome.applied ? event.kind : outcome.reason);
}

export type WebhookRefusal = 'unconfigured' | 'unauthorized' | 'forged' | 'stale' | 'replayed' | 'malformed';

const STATUS_OF_REFUSAL: Record<WebhookRefusal, number> = {
  unconfigured: 404,
  unauthorized: 401,
  forged: 403,
  stale: 403,
  replayed: 403,
  malformed: 400,
};

/** Answers a refused request (logged at warn, counted once), in the API's error shape. */
export function refuseWebhook(
  runtime: Runtime,
  request: FastifyRequest,
  reply: FastifyReply,
  provider: string,
  refusal: WebhookRefusal,
  message: string,
): FastifyReply {
  request.log.warn({ provider, refusal, client: request.ip, problem: message }, `${provider} webhook: request refused (${refusal})`);
  runtime.metrics.recordBounceReport(provider, refusal);
  return reply.status(STATUS_OF_REFUSAL[refusal]).type('application/json; charset=utf-8').send({ error: message, details: [] });
}

/** A header's value when it was sent once; a repeated header is not trusted to mean anything. */
export function singleHeader(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}
