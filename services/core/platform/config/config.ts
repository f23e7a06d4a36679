import { CronExpressionParser } from 'cron-parser';
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import type { DkimKeys } from '../mail/dkim.js';
import { isArxivCategory } from './arxiv-category.js';

/**
 * Every environment variable Paperboy reads, parsed once at start-up. Nothing else in the code
 * base reads the environment: the composition root hands the frozen result to whoever needs it.
 */

const DEV_SECRET_KEY = 'dev-only-secret-key-change-me-in-production';
const DEV_ADMIN_TOKEN = 'dev-admin-token';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function integer(min: number, max: number) {
  return z
    .string()
    .trim()
    .regex(/^\d+$/, `must be a whole number between ${min} and ${max}`)
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));
}

/** A share such as `0.05` or `5%`, above 0 and at most 1 (100%). */
function ratio() {
  return z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?%?$/, 'must be a share such as 0.05 or 5%')
    .transform((value) => (value.endsWith('%') ? Number(value.slice(0, -1)) / 100 : Number(value)))
    .pipe(z.number().gt(0, 'must be above 0').max(1, 'must be at most 1 (100%)'));
}

function url(protocols: string[], what: string) {
  return z.string().trim().refine((value) => {
    try {
      return protocols.includes(new URL(value).protocol);
    } catch {
      return false;
    }
  }, `must be a ${what} URL (${protocols.map((p) => `${p}//`).join(' or ')}...)`);
}

const postgresUrl = url(['postgres:', 'postgresql:'], 'Postgres').refine(
  (value) => !URL.canParse(value) || new URL(value).pathname.replace(/^\//, '').length > 0,
  'must name a database (postgres://user@host:5432/DATABASE)',
);

/** `host:port,host:port,...`: the nodes an ioredis Cluster starts from (it finds the rest itself). */
const clusterNodes = z
  .string()
  .trim()
  .transform((value) => value.split(',').map((node) => node.trim()).filter(Boolean))
  .refine((nodes) => nodes.length > 0 && nodes.every((node) => /^[^\s:/]+:\d{1,5}$/.test(node) && Number(node.split(':')[1]) <= 65535), 'must be host:port pairs separated by commas')
  .transform((nodes) => nodes.map((node) => ({ host: node.slice(0, node.lastIndexOf(':')), port: Number(node.slice(node.lastIndexOf(':') + 1)) })));

const cronPattern = z
  .string()
  .trim()
  .refine((value) => {
    const fields = value.split(/\s+/).length;
    if (fields < 5 || fields > 6) return false;
    try {
      CronExpressionParser.parse(value);
      return true;
    } catch {
      return false;
    }
  }, 'must be a cron pattern of 5 or 6 fields (seconds first when 6), e.g. "0 0 6 * * *"');

const timeZone = z
  .string()
  .trim()
  .refine((value) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: value });
      return true;
    } catch {
      return false;
    }
  }, 'must be an IANA time zone such as "UTC" or "Europe/Berlin"');

/** A header value must never carry a line break: it would let a value inject headers. */
const headerSafe = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .refine((value) => !/[\r\n]/.test(value), 'must not contain line breaks');

const mailbox = headerSafe
  .refine(
    (value) => /^(?:[^<>]*<)?[^\s@<>]+@[^\s@<>]+(?:>)?$/.test(value),
    'must be an address like "Paperboy <papers@example.org>" or "papers@example.org"',
  )
  // A non-ASCII sender would make every message need SMTPUTF8, and a server's refusal of it
  // would read as the reader's address being undeliverable. The name may be in any script.
  .refine(
    (value) => /^[\x21-\x7e]+$/.test(value.replace(/^[^<>]*</, '').replace(/>$/, '')),
    'the address must be ASCII: write an international domain in its xn-- form (the name before <...> may be in any script)',
  );

/**
 * SendGrid's verification key as it shows it (base64 of a DER public key; PEM armour and line
 * breaks are taken off): it must be the P-256 key its signatures need.
 */
/**
 * A PEM private key of one type, parsed at start-up so a wrong key stops it. DKIM keys: RSA of
 * 1024 bits at least (RFC 8301; 2048 recommended), Ed25519 for RFC 8463.
 */
function privateKey(type: 'rsa' | 'ed25519') {
  return z.string().transform((value, context) => {
    let key: KeyObject | undefined;
    try {
      key = createPrivateKey(value);
    } catch {
      key = undefined;
    }
    const bits = key?.asymmetricKeyDetails?.modulusLength ?? 0;
    if (!key || key.asymmetricKeyType !== type || (type === 'rsa' && bits < 1024)) {
      context.addIssue({ code: 'custom', message: type === 'rsa' ? 'must be a PEM RSA private key of 1024 bits or more (2048 recommended)' : 'must be a PEM Ed25519 private key' });
      return z.NEVER;
    }
    return key;
  });
}

const sendgridPublicKey = z
  .string()
  .transform((value) => value.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, '').replace(/\s+/g, ''))
  .refine((value) => {
    try {
      const key = createPublicKey({ key: Buffer.from(value, 'base64'), format: 'der', type: 'spki' });
      return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
    } catch {
      return false;
    }
  }, 'must be the base64 ECDSA P-256 verification key SendGrid shows for the signed Event Webhook');
const SNS_TOPIC_ARN = /^arn:aws(?:-cn|-us-gov)?:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PAPERBOY_ROLE: z.enum(['all', 'api', 'worker', 'bounces']).default('all'),
  PORT: integer(1, 65535).default(3000),
  HOST: z.string().trim().min(1).default('0.0.0.0'),
  // Unset: http://localhost:PORT, so links follow the port (see parseConfig).
  PUBLIC_URL: url(['http:', 'https:'], 'http(s)').optional(),
  TRUST_PROXY: z.enum(['true', 'false']).default('false'),
  DATABASE_URL: postgresUrl.default('postgres://postgres@127.0.0.1:5432/paperboy'),
  // PgBouncer in transaction mode: prepared statements off; migrations need a direct connection.
  DATABASE_PREPARE: z.enum(['true', 'false']).default('true'),
  DATABASE_MIGRATION_URL: postgresUrl.optional(),
  REDIS_URL: url(['redis:', 'rediss:'], 'Redis').default('redis://127.0.0.1:6379'),
  REDIS_CLUSTER_NODES: clusterNodes.optional(),
  QUEUE_PREFIX: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_-]+$/, 'must be letters, digits, "-" or "_"')
    .default('paperboy'),
  SMTP_URL: url(['smtp:', 'smtps:'], 'SMTP').optional(),
  SMTP_POOL_SIZE: integer(1, 100).default(5),
  SMTP_RATE_LIMIT: integer(0, 100000).default(0),
  SMTP_THROTTLE_BACKOFF_MS: integer(100, 3600000).default(5000),
  AUTO_PAUSE_MIN_ATTEMPTS: integer(1, 100000000).default(500),
  AUTO_PAUSE_HARD_BOUNCE_RATE: ratio().default(0.05),
  AUTO_PAUSE_COMPLAINT_RATE: ratio().default(0.001),
  OUTBOX_DIR: z.string().trim().min(1).default('outbox'),
  MAIL_FROM: mailbox.default('Paperboy <papers@localhost>'),
  MAIL_POSTAL_ADDRESS: headerSafe.optional(),
  DKIM_DOMAIN: z.string().trim().min(1).optional(),
  DKIM_SELECTOR: z.string().trim().min(1).optional(),
  DKIM_PRIVATE_KEY: privateKey('rsa').optional(),
  DKIM_ED25519_SELECTOR: z.string().trim().min(1).optional(),
  DKIM_ED25519_PRIVATE_KEY: privateKey('ed25519').optional(),
  BOUNCE_DOMAIN: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(?:\.(?!-)[a-z0-9-]{1,63}(?<!-))+$/, 'must be a domain name such as "bounces.example.org"')
    .optional(),
  BOUNCE_SMTP_PORT: integer(1, 65535).optional(),
  SOFT_BOUNCE_LIMIT: integer(1, 100).default(3),
  POSTMARK_WEBHOOK_CREDENTIALS: z
    .string()
    .trim()
    .regex(/^[^:\s]+:\S+$/, 'must be "user:password", the basic-auth credentials in the webhook URL set at Postmark')
    .optional(),
  SENDGRID_WEBHOOK_PUBLIC_KEY: sendgridPublicKey.optional(),
  MAILGUN_WEBHOOK_SIGNING_KEY: z.string().trim().min(1, 'must not be empty').optional(),
  SES_SNS_TOPIC_ARNS: z
    .string()
    .transform((value) => value.split(',').map((part) => part.trim()).filter(Boolean))
    .refine((arns) => arns.length > 0, 'must name at least one SNS topic ARN')
    .refine(
      (arns) => arns.every((arn) => SNS_TOPIC_ARN.test(arn)),
      'must be SNS topic ARNs separated by commas, e.g. "arn:aws:sns:eu-west-1:123456789012:ses-bounces"',
    )
    .optional(),
  ADMIN_TOKEN: z.string().trim().min(1, 'must not be empty').default(DEV_ADMIN_TOKEN),
  SECRET_KEY: z.string().min(1, 'must not be empty').default(DEV_SECRET_KEY),
  DIGEST_CRON: cronPattern.default('0 0 6 * * *'),
  DIGEST_TZ: timeZone.default('UTC'),
  INGEST_CRON: cronPattern.default('0 5 * * * *'),
  INGEST_DAYS: integer(1, 14).default(3),
  EDITION_SIZE: integer(1, 200).default(40),
  HF_API_URL: url(['http:', 'https:'], 'http(s)').default('https://huggingface.co/api/daily_papers'),
  HF_TOKEN: z.string().trim().min(1).optional(),
  ARXIV_API_URL: url(['http:', 'https:'], 'http(s)').default('http://export.arxiv.org/api/query'),
  ARXIV_RSS_URL: url(['http:', 'https:'], 'http(s)').default('https://rss.arxiv.org/rss'),
  ARXIV_CATEGORIES: z
    .string()
    .transform((value) => [...new Set(value.split(',').map((part) => part.trim()).filter(Boolean))])
    .refine((categories) => categories.length > 0, 'must name at least one arXiv category')
    .refine(
      (categories) => categories.every(isArxivCategory),
      'must be arXiv categories separated by commas, e.g. "cs.CL,cs.LG,hep-th"',
    )
    .optional(),
  SIGNUP_RATE_LIMIT: integer(1, 100000).default(10),
  METRICS_TOKEN: z.string().trim().min(1, 'must not be empty').optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  SHUTDOWN_TIMEOUT_MS: integer(100, 600000).default(10000),
  DELIVERY_RETENTION_DAYS: integer(1, 3650).default(90),
  SENT_PAPERS_RETENTION_DAYS: integer(1, 3650).default(180),
  WORKER_STALE_SECONDS: integer(5, 3600).default(30),
});

type Env = z.output<typeof envSchema>;

/** The names of every variable Paperboy reads (README and compose file are checked against it). */
export const CONFIG_VARIABLES = Object.keys(envSchema.shape) as ReadonlyArray<keyof Env>;

export interface AdminToken {
  /** Shown in the audit log: never the secret itself. */
  name: string;
  secret: string;
}


export interface Config {
  env: Env['NODE_ENV'];
  role: Env['PAPERBOY_ROLE'];
  http: { port: number; host: string; trustProxy: boolean };
  publicUrl: string;
  databaseUrl: string;
  /** Where migrations run (their advisory lock needs a session, which PgBouncer's transaction mode breaks). */
  databaseMigrationUrl: string;
  /** Whether postgres.js prepares statements (false behind PgBouncer in transaction mode). */
  databasePrepare: boolean;
  /** With REDIS_CLUSTER_NODES set, the URL gives only credentials and TLS. */
  redisUrl: string;
  /** Set: every Redis client is an ioredis Cluster seeded with these nodes. */
  redisClusterNodes: readonly { host: string; port: number }[] | undefined;
  queuePrefix: string;
  mail: {
    smtpUrl: string | undefined;
    poolSize: number;
    /** Messages per second across all workers; 0 means no limit. */
    rateLimitPerSecond: number;
    /** How long every worker stops sending after a server throttles (a spent quota: 12 times that). */
    throttleBackoffMs: number;
    outboxDir: string;
    from: string;
    postalAddress: string;
    /** DKIM keys: every message is signed with RSA, and with Ed25519 too when that key is set. */
    dkim: DkimKeys | undefined;
    /** With it, every message's envelope sender is a signed per-message address there (VERP). */
    bounceDomain: string | undefined;
  };
  /** The inbound bounce receiver: where it listens, and when soft bounces suppress a reader. */
  bounces: {
    /** Unset: no receiver in this process (role `all`); role `bounces` requires it. */
    smtpPort: number | undefined;
    /** Soft bounces in a row, across editions, that suppress a reader. */
    softBounceLimit: number;
  };
  /** Provider webhooks (POST /webhooks/PROVIDER); a provider left unset has its route answer 404. */
  webhooks: {
    /** Amazon SES through SNS: the topics whose messages are accepted; undefined turns the route off. */
    ses: { topicArns: readonly string[] } | undefined;
    /** Postmark: `user:password` of basic auth. */
    postmarkCredentials: string | undefined;
    /** SendGrid: the base64 DER verification key. */
    sendgridPublicKey: string | undefined;
    /** Mailgun: the HMAC signing key. */
    mailgunSigningKey: string | undefined;
  };
  /** A send run pauses itself when, over at least `minAttempts`, a rate passes its share. */
  autoPause: { minAttempts: number; hardBounceRate: number; complaintRate: number };
  adminTokens: AdminToken[];
  secretKey: string;
  digest: { cron: string; timeZone: string; editionSize: number };
  ingest: {
    cron: string;
    days: number;
    hfApiUrl: string;
    hfToken: string | undefined;
    /** arXiv's API and the base of its RSS listing feeds (the category is appended). */
    arxivApiUrl: string;
    arxivRssUrl: string;
    /** Categories whose RSS listing the worker fetches after each announcement, besides those readers chose. */
    arxivCategories: string[];
  };
  signupRateLimitPerHour: number;
  /** Bearer token /metrics asks for; unset leaves /metrics open (fine on a private network). */
  metricsToken: string | undefined;
  logLevel: Env['LOG_LEVEL'];
  shutdownTimeoutMs: number;
  /** How long the nightly retention job keeps what grows with every email (retention-service.ts). */
  retention: {
    /** An edition's deliveries, counted from the edition's date; also how long an unsubscribed reader's history stays. */
    deliveryDays: number;
    /** An edition's sent-paper rows (the "never the same paper twice" memory). */
    sentPapersDays: number;
  };
  /**
   * How long a worker (or CLI send) that stopped answering keeps its work: its delivery claims
   * go stale and its BullMQ jobs count as stalled after this, and another worker takes them over.
   */
  workerStaleSeconds: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

/**
 * `name:secret` pairs give each operator's token a name for the audit log; a bare secret is
 * named by its position so rotation (old and new token side by side) still works.
 */
function parseAdminTokens(raw: string): AdminToken[] {
  return raw
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part, index) => {
      const colon = part.indexOf(':');
      return colon > 0
        ? { name: part.slice(0, colon), secret: part.slice(colon + 1) }
        : { name: `token-${index + 1}`, secret: part };
    });
}

/** Top-level names reserved for tests, examples and local networks (RFC 2606, RFC 6761, RFC 6762). */
const RESERVED_TLDS = new Set(['localhost', 'local', 'test', 'invalid', 'example']);
const EXAMPLE_DOMAINS = new Set(['example.com', 'example.net', 'example.org']);

/**
 * True when `host` (a URL hostname or an address's domain, an IP literal with or without
 * brackets) names no public place: a reserved or example domain, or a loopback address. Mail
 * from it is rejected or junked by every provider; links to it reach no reader.
 */
function isReservedHost(host: string): boolean {
  const name = host.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name) || name === '::1' || name === '0:0:0:0:0:0:0:1') return true;
  const labels = name.split('.');
  if (RESERVED_TLDS.has(labels.at(-1) ?? '')) return true;
  return EXAMPLE_DOMAINS.has(labels.slice(-2).join('.'));
}

/** The domain of `Name <local@domain>` or `local@domain`. */
function mailboxDomain(mailbox: string): string {
  return mailbox.replace(/^[^<]*</, '').replace(/>$/, '').split('@').at(-1) ?? '';
}

function productionProblems(env: Env, publicUrl: string, adminTokens: AdminToken[]): string[] {
  if (env.NODE_ENV !== 'production') return [];
  const problems: string[] = [];
  if (env.SECRET_KEY === DEV_SECRET_KEY) {
    problems.push('SECRET_KEY: is the development default; set a random secret of 32+ characters in production');
  } else if (env.SECRET_KEY.length < 32) {
    problems.push('SECRET_KEY: must be at least 32 characters in production');
  }
  if (adminTokens.some((token) => token.secret === DEV_ADMIN_TOKEN)) {
    problems.push('ADMIN_TOKEN: is the development default; set a random token in production');
  } else if (adminTokens.some((token) => token.secret.length < 16)) {
    problems.push('ADMIN_TOKEN: every token must be at least 16 characters in production');
  }
  if (!publicUrl.startsWith('https://')) {
    problems.push('PUBLIC_URL: must be an https:// URL in production (one-click unsubscribe needs HTTPS)');
  } else if (isReservedHost(new URL(publicUrl).hostname)) {
    problems.push('PUBLIC_URL: must be on a real domain in production, not localhost, a loopback address or a reserved domain (.local, .test, .example, example.com...): readers follow its links');
  }
  if (!env.SMTP_URL) {
    problems.push('SMTP_URL: is required in production (without it mail is written to a folder and no reader gets it)');
  }
  if (isReservedHost(mailboxDomain(env.MAIL_FROM))) {
    problems.push('MAIL_FROM: must be an address on a real domain in production, not localhost, a loopback address or a reserved domain (.local, .test, .example, example.com...): providers reject such mail');
  }
  if (env.BOUNCE_DOMAIN && isReservedHost(env.BOUNCE_DOMAIN)) {
    problems.push('BOUNCE_DOMAIN: must be a real domain in production (its MX record must reach the bounce receiver), not a reserved one');
  }
  if (env.METRICS_TOKEN !== undefined && env.METRICS_TOKEN.length < 16) {
    problems.push('METRICS_TOKEN: must be at least 16 characters in production');
  }
  const postmarkPassword = env.POSTMARK_WEBHOOK_CREDENTIALS?.slice(env.POSTMARK_WEBHOOK_CREDENTIALS.indexOf(':') + 1);
  if (postmarkPassword !== undefined && postmarkPassword.length < 16) {
    problems.push('POSTMARK_WEBHOOK_CREDENTIALS: the password must be at least 16 characters in production');
  }
  if (env.MAILGUN_WEBHOOK_SIGNING_KEY !== undefined && env.MAILGUN_WEBHOOK_SIGNING_KEY.length < 16) {
    problems.push('MAILGUN_WEBHOOK_SIGNING_KEY: must be at least 16 characters in production (copy the HTTP webhook signing key Mailgun shows)');
  }
  if (!env.MAIL_POSTAL_ADDRESS) {
    problems.push('MAIL_POSTAL_ADDRESS: is required in production (every bulk email must show a postal address)');
  }
  return problems;
}

function describeReceived(value: unknown): string {
  if (value === undefined) return '';
  const text = String(value);
  return ` (got "${text.length > 40 ? `${text.slice(0, 40)}...` : text}")`;
}

/**
 * Parses the environment; throws a ConfigError with one line per bad variable. `defaults` stand
 * in for variables the environment leaves unset (the CLI's quieter LOG_LEVEL).
 */
export function parseConfig(source: Record<string, string | undefined>, defaults: Record<string, string> = {}): Readonly<Config> {
  // An empty variable (`PORT=`) means "not set", as most shells and compose files intend.
  const present = {
    ...defaults,
    ...Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined && value !== '')),
  };
  const result = envSchema.safeParse(present);
  if (!result.success) {
    const seen = new Set<string>();
    const problems = result.error.issues
      .map((issue) => {
        const name = String(issue.path[0] ?? 'environment');
        if (seen.has(name)) return undefined;
        seen.add(name);
        const secret = ['SECRET_KEY', 'ADMIN_TOKEN', 'METRICS_TOKEN', 'DKIM_PRIVATE_KEY', 'DKIM_ED25519_PRIVATE_KEY', 'HF_TOKEN', 'POSTMARK_WEBHOOK_CREDENTIALS', 'MAILGUN_WEBHOOK_SIGNING_KEY'].includes(name);
        return `${name}: ${issue.message}${secret ? '' : describeReceived(present[name])}`;
      })
      .filter((line): line is string => line !== undefined);
    throw new ConfigError(problems);
  }
  const env = result.data;
  const adminTokens = parseAdminTokens(env.ADMIN_TOKEN);
  const publicUrl = (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, '');
  const problems = productionProblems(env, publicUrl, adminTokens);
  if (adminTokens.length === 0) problems.push('ADMIN_TOKEN: must hold at least one token');
  const dkimParts = [env.DKIM_DOMAIN, env.DKIM_SELECTOR, env.DKIM_PRIVATE_KEY].filter(Boolean).length;
  if (dkimParts !== 0 && dkimParts !== 3) {
    problems.push('DKIM_DOMAIN: DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY must be set together');
  }
  const ed25519Parts = [env.DKIM_ED25519_SELECTOR, env.DKIM_ED25519_PRIVATE_KEY].filter(Boolean).length;
  if (ed25519Parts === 1) {
    problems.push('DKIM_ED25519_SELECTOR: DKIM_ED25519_SELECTOR and DKIM_ED25519_PRIVATE_KEY must be set together');
  } else if (ed25519Parts === 2 && dkimParts !== 3) {
    // Many receivers do not verify Ed25519 yet (RFC 8463 expects it beside an RSA signature).
    problems.push('DKIM_ED25519_PRIVATE_KEY: needs the RSA key too (DKIM_DOMAIN, DKIM_SELECTOR, DKIM_PRIVATE_KEY): Ed25519 signs beside RSA, not instead');
  }
  if (env.BOUNCE_SMTP_PORT !== undefined && !env.BOUNCE_DOMAIN) {
    problems.push('BOUNCE_SMTP_PORT: needs BOUNCE_DOMAIN, the domain the bounce receiver accepts mail for');
  }
  if (env.PAPERBOY_ROLE === 'bounces' && (!env.BOUNCE_DOMAIN || env.BOUNCE_SMTP_PORT === undefined)) {
    problems.push('PAPERBOY_ROLE: "bounces" needs BOUNCE_DOMAIN and BOUNCE_SMTP_PORT');
  }
  if (env.REDIS_CLUSTER_NODES && !['', '0'].includes(new URL(env.REDIS_URL).pathname.replace(/^\//, ''))) {
    problems.push('REDIS_URL: names a database, but a Redis Cluster (REDIS_CLUSTER_NODES) has only database 0');
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const config: Config = {
    env: env.NODE_ENV,
    role: env.PAPERBOY_ROLE,
    http: { port: env.PORT, host: env.HOST, trustProxy: env.TRUST_PROXY === 'true' },
    publicUrl,
    databaseUrl: env.DATABASE_URL,
    databaseMigrationUrl: env.DATABASE_MIGRATION_URL ?? env.DATABASE_URL,
    databasePrepare: env.DATABASE_PREPARE === 'true',
    redisUrl: env.REDIS_URL,
    redisClusterNodes: env.REDIS_CLUSTER_NODES,
    queuePrefix: env.QUEUE_PREFIX,
    mail: {
      smtpUrl: env.SMTP_URL,
      poolSize: env.SMTP_POOL_SIZE,
      rateLimitPerSecond: env.SMTP_RATE_LIMIT,
      throttleBackoffMs: env.SMTP_THROTTLE_BACKOFF_MS,
      outboxDir: env.OUTBOX_DIR,
      from: env.MAIL_FROM,
      postalAddress: env.MAIL_POSTAL_ADDRESS ?? 'Paperboy, 1 Example Street, Exampletown (set MAIL_POSTAL_ADDRESS)',
      dkim:
        env.DKIM_DOMAIN && env.DKIM_SELECTOR && env.DKIM_PRIVATE_KEY
          ? {
              domain: env.DKIM_DOMAIN,
              rsa: { selector: env.DKIM_SELECTOR, privateKey: env.DKIM_PRIVATE_KEY },
              ...(env.DKIM_ED25519_SELECTOR && env.DKIM_ED25519_PRIVATE_KEY
                ? { ed25519: { selector: env.DKIM_ED25519_SELECTOR, privateKey: env.DKIM_ED25519_PRIVATE_KEY } }
                : {}),
            }
          : undefined,
      bounceDomain: env.BOUNCE_DOMAIN,
    },
    bounces: { smtpPort: env.BOUNCE_SMTP_PORT, softBounceLimit: env.SOFT_BOUNCE_LIMIT },
    webhooks: {
      ses: env.SES_SNS_TOPIC_ARNS ? { topicArns: env.SES_SNS_TOPIC_ARNS } : undefined,
      postmarkCredentials: env.POSTMARK_WEBHOOK_CREDENTIALS,
      sendgridPublicKey: env.SENDGRID_WEBHOOK_PUBLIC_KEY,
      mailgunSigningKey: env.MAILGUN_WEBHOOK_SIGNING_KEY,
    },
    autoPause: {
      minAttempts: env.AUTO_PAUSE_MIN_ATTEMPTS,
      hardBounceRate: env.AUTO_PAUSE_HARD_BOUNCE_RATE,
      complaintRate: env.AUTO_PAUSE_COMPLAINT_RATE,
    },
    adminTokens,
    secretKey: env.SECRET_KEY,
    digest: { cron: env.DIGEST_CRON, timeZone: env.DIGEST_TZ, editionSize: env.EDITION_SIZE },
    ingest: {
      cron: env.INGEST_CRON,
      days: env.INGEST_DAYS,
      hfApiUrl: env.HF_API_URL,
      hfToken: env.HF_TOKEN,
      arxivApiUrl: env.ARXIV_API_URL,
      arxivRssUrl: env.ARXIV_RSS_URL,
      arxivCategories: env.ARXIV_CATEGORIES ?? [],
    },
    signupRateLimitPerHour: env.SIGNUP_RATE_LIMIT,
    metricsToken: env.METRICS_TOKEN,
    logLevel: env.LOG_LEVEL,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    retention: { deliveryDays: env.DELIVERY_RETENTION_DAYS, sentPapersDays: env.SENT_PAPERS_RETENTION_DAYS },
    workerStaleSeconds: env.WORKER_STALE_SECONDS,
  };
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): Readonly<T> {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** Test and tool helper: the defaults, with overrides given as environment variables. */
export function configFromEnv(overrides: Record<string, string | undefined> = {}): Readonly<Config> {
  return parseConfig({ NODE_ENV: 'test', ...overrides });
}
