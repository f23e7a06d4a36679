import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerAddress, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import type { OnMailEventApplied } from '../core/bounces/bounce-service.js';
import { receiveInboundReport } from '../core/bounces/inbound-service.js';
import { RETURN_PATH_LOCAL_PREFIX, returnPathTokenOf, verifyReturnPathToken } from '../core/platform/tokens/return-path.js';
import type { BounceKind } from '../core/platform/metrics/metrics.js';
import type { Runtime } from '../runtime.js';

/** paperboy_bounces_total's kind label of each applied event. */
const BOUNCE_KIND_OF_EVENT = { hard_bounce: 'hard', soft_bounce: 'soft', complaint: 'complaint' } as const satisfies Record<string, BounceKind>;

/**
 * The inbound bounce receiver (role `bounces`): an SMTP server that accepts mail for
 * BOUNCE_DOMAIN only (the MX of that domain points here), reads delivery status notifications
 * and feedback reports, and hands them to the bounces core. It never relays: a recipient at any
 * other domain is refused at RCPT, and nothing it receives is sent on. SMTP mechanics only.
 *
 * Limits, since anyone on the internet can connect: a message size (SIZE is advertised, a bigger
 * message is refused with 552), clients at once, recipients per message, and messages per client
 * address per minute. A report is answered 250 only once it is stored; when Postgres is away the
 * answer is 451, and the sending server tries again later.
 */

export interface BounceServerLimits {
  /** Bytes per message; reports are small (a DSN with the returned message is well under 1 MB). */
  maxMessageBytes: number;
  maxClients: number;
  maxRecipients: number;
  /** Messages (and connections) one client address may send per minute. */
  perClientPerMinute: number;
}

export const DEFAULT_BOUNCE_LIMITS: BounceServerLimits = { maxMessageBytes: 1024 * 1024, maxClients: 50, maxRecipients: 10, perClientPerMinute: 120 };

export interface BounceServer {
  /** `host:port` it listens on. */
  address: string;
  port: number;
  close(): Promise<void>;
}

function smtpError(code: number, message: string): Error & { responseCode: number } {
  return Object.assign(new Error(message), { responseCode: code });
}

/** Counts per client address in fixed one-minute windows; forgets quiet addresses. */
function createClientRate(limit: number) {
  const windows = new Map<string, { startedAt: number; count: number }>();
  return (client: string, now: number): boolean => {
    if (windows.size > 10_000) for (const [key, window] of windows) if (now - window.startedAt >= 60_000) windows.delete(key);
    const window = windows.get(client);
    if (!window || now - window.startedAt >= 60_000) {
      windows.set(client, { startedAt: now, count: 1 });
      return true;
    }
    window.count += 1;
    return window.count <= limit;
  };
}

/** Listens on BOUNCE_SMTP_PORT (or `options.port`: 0 picks a free one) at HOST. */
export async function startBounceServer(runtime: Runtime, options: { limits?: BounceServerLimits; port?: number } = {}): Promise<BounceServer> {
  const { config, database, clock, metrics } = runtime;
  const limits = options.limits ?? DEFAULT_BOUNCE_LIMITS;
  const domain = config.mail.bounceDomain;
  const port = options.port ?? config.bounces.smtpPort;
  if (!domain || port === undefined) throw new Error('the bounce receiver needs BOUNCE_DOMAIN and BOUNCE_SMTP_PORT');
  const logger = runtime.logger.child({ role: 'bounces' });
  const withinRate = createClientRate(limits.perClientPerMinute);
  const deps = { database, clock, config };

  const server = new SMTPServer({
    name: domain,
    banner: 'Paperboy bounce receiver',
    // Reports need neither: nobody logs in, and nothing is relayed.
    disabledCommands: ['AUTH', 'STARTTLS'],
    authOptional: true,
    disableReverseLookup: true,
    size: limits.maxMessageBytes,
    maxClients: limits.maxClients,
    socketTimeout: 60_000,
    // On shutdown, clients still connected get this long before they are cut off (a sender
    // whose report got no 250 sends it again).
    closeTimeout: 5_000,
    logger: false,
    onConnect(session: SMTPServerSession, callback: (error?: Error) => void) {
      if (withinRate(session.remoteAddress, Date.now())) return callback();
      logger.warn({ client: session.remoteAddress }, 'bounce receiver: client over its rate, refused');
      return callback(smtpError(421, '4.7.0 Too many connections from your address, try again later'));
    },
    onRcptTo(address: SMTPServerAddress, session: SMTPServerSession, callback: (error?: Error) => void) {
      const recipient = address.address.toLowerCase();
      if (!recipient.endsWith(`@${domain}`)) {
        return callback(smtpError(550, `5.7.1 Relay access denied: this server accepts mail for ${domain} only`));
      }
      if (session.envelope.rcptTo.length >= limits.maxRecipients) return callback(smtpError(452, '4.5.3 Too many recipients'));
      // A bounce address whose token does not verify names no message of ours: refused now,
      // before anyone sends a body.
      if (recipient.startsWith(RETURN_PATH_LOCAL_PREFIX) && !verifyReturnPathToken(config.secretKey, returnPathTokenOf(recipient, domain)).ok) {
        logger.warn({ client: session.remoteAddress }, 'bounce receiver: refused a bounce address with a forged or malformed token');
        metrics.recordBounceReport('none', 'forged-token');
        return callback(smtpError(550, '5.1.1 No such mailbox'));
      }
      return callback();
    },
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback: (error?: Error | null) => void) {
      const chunks: Buffer[] = [];
      let bytes = 0;
      stream.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes <= limits.maxMessageBytes) chunks.push(chunk);
      });
      stream.on('end', () => {
        if (stream.sizeExceeded || bytes > limits.maxMessageBytes) {
          logger.warn({ client: session.remoteAddress, bytes }, 'bounce receiver: message over the size limit, refused');
          metrics.recordBounceReport('none', 'too-big');
          return callback(smtpError(552, `5.3.4 Message too big: at most ${limits.maxMessageBytes} bytes`));
        }
        if (!withinRate(session.remoteAddress, Date.now())) {
          return callback(smtpError(421, '4.7.0 Too many messages from your address, try again later'));
        }
        const recipients = session.envelope.rcptTo.map((rcpt) => rcpt.address);
        const client = session.remoteAddress;
        // Each event is logged and counted as it is applied: those stored before Postgres goes away too.
        const reportEvent: OnMailEventApplied = ({ event, outcome }) => {
          const fields = { client, source: event.source, kind: event.kind, detail: event.detail, ...outcome };
          if (outcome.applied) logger.info(fields, `bounce receiver: ${event.kind} applied`);
          else logger[outcome.reason === 'duplicate' ? 'info' : 'warn'](fields, `bounce receiver: ${event.kind} not applied (${outcome.reason})`);
          metrics.recordBounceReport(event.source, outcome.applied ? event.kind : outcome.reason);
          if (outcome.applied) metrics.recordBounce(BOUNCE_KIND_OF_EVENT[event.kind]);
        };
        receiveInboundReport(deps, Buffer.concat(chunks), { recipients }, reportEvent).then(
          (result) => {
            if (result) {
              logger.info({ client, reason: result.ignored }, 'bounce receiver: message ignored');
              metrics.recordBounceReport('none', 'ignored');
            }
            callback();
          },
          (error: unknown) => {
            logger.error({ err: error, client: session.remoteAddress }, 'bounce receiver: could not store a report; the sender will retry');
            callback(smtpError(451, '4.3.0 Temporary failure, try again later'));
          },
        );
      });
    },
  });
  // A client that resets its socket mid-conversation is routine on the internet.
  server.on('error', (error: Error) => logger.debug({ err: error }, 'bounce receiver: connection error'));

  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(port, config.http.host, () => {
      server.server.off('error', reject);
      resolve();
    });
  });
  const bound = server.server.address() as AddressInfo;
  return {
    address: `${bound.address}:${bound.port}`,
    port: bound.port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
