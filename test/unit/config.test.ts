import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../services/core/platform/config/config.js';

function problemsOf(env: Record<string, string>): string[] {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('configuration', () => {
  it('serves a local run with defaults only', () => {
    const config = parseConfig({});
    expect(config.http.port).toBe(3000);
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(config.mail.smtpUrl).toBeUndefined();
    expect(config.role).toBe('all');
    expect(Object.isFrozen(config.mail)).toBe(true);
  });

  it('points PUBLIC_URL at the port it listens on unless it is set', () => {
    expect(parseConfig({}).publicUrl).toBe('http://localhost:3000');
    expect(parseConfig({ PORT: '8080' }).publicUrl).toBe('http://localhost:8080');
    expect(parseConfig({ PORT: '8080', PUBLIC_URL: 'https://papers.acme-research.org' }).publicUrl).toBe('https://papers.acme-research.org');
  });

  it('names the variable and the value when a number is not a number', () => {
    expect(problemsOf({ PORT: 'abc' })).toEqual(['PORT: must be a whole number between 1 and 65535 (got "abc")']);
    expect(problemsOf({ PORT: '70000' })).toEqual(['PORT: must be at most 65535 (got "70000")']);
  });

  it('reads the auto-pause limits as shares or percentages, and refuses what is no share', () => {
    expect(parseConfig({}).autoPause).toEqual({ minAttempts: 500, hardBounceRate: 0.05, complaintRate: 0.001 });
    expect(parseConfig({ AUTO_PAUSE_HARD_BOUNCE_RATE: '2%', AUTO_PAUSE_COMPLAINT_RATE: '0.003', AUTO_PAUSE_MIN_ATTEMPTS: '1000' }).autoPause).toEqual({
      minAttempts: 1000,
      hardBounceRate: 0.02,
      complaintRate: 0.003,
    });
    expect(problemsOf({ AUTO_PAUSE_HARD_BOUNCE_RATE: 'five' })).toEqual(['AUTO_PAUSE_HARD_BOUNCE_RATE: must be a share such as 0.05 or 5% (got "five")']);
    expect(problemsOf({ AUTO_PAUSE_COMPLAINT_RATE: '150%' })).toEqual(['AUTO_PAUSE_COMPLAINT_RATE: must be at most 1 (100%) (got "150%")']);
    expect(problemsOf({ AUTO_PAUSE_COMPLAINT_RATE: '0' })).toEqual(['AUTO_PAUSE_COMPLAINT_RATE: must be above 0 (got "0")']);
    expect(parseConfig({ SMTP_THROTTLE_BACKOFF_MS: '250' }).mail.throttleBackoffMs).toBe(250);
  });

  it('takes the stale window of a silent worker, 30 s unless set, never under 5 s', () => {
    expect(parseConfig({}).workerStaleSeconds).toBe(30);
    expect(parseConfig({ WORKER_STALE_SECONDS: '5' }).workerStaleSeconds).toBe(5);
    expect(problemsOf({ WORKER_STALE_SECONDS: '2' })).toEqual(['WORKER_STALE_SECONDS: must be at least 5 (got "2")']);
  });

  it('refuses a DATABASE_URL that is not a Postgres URL naming a database', () => {
    expect(problemsOf({ DATABASE_URL: 'nonsense' })[0]).toMatch(/^DATABASE_URL: must be a Postgres URL/);
    expect(problemsOf({ DATABASE_URL: 'postgres://127.0.0.1:5432/' })[0]).toMatch(/^DATABASE_URL: must name a database/);
  });

  it('prepares statements and migrates on DATABASE_URL unless told otherwise (PgBouncer in transaction mode)', () => {
    expect(parseConfig({ DATABASE_URL: 'postgres://app@db:5432/paperboy' })).toMatchObject({ databasePrepare: true, databaseMigrationUrl: 'postgres://app@db:5432/paperboy' });
    const pooled = parseConfig({ DATABASE_URL: 'postgres://app@bouncer:6432/paperboy', DATABASE_PREPARE: 'false', DATABASE_MIGRATION_URL: 'postgres://app@db:5432/paperboy' });
    expect(pooled).toMatchObject({ databasePrepare: false, databaseUrl: 'postgres://app@bouncer:6432/paperboy', databaseMigrationUrl: 'postgres://app@db:5432/paperboy' });
    expect(problemsOf({ DATABASE_PREPARE: 'no' })[0]).toMatch(/^DATABASE_PREPARE: /);
    expect(problemsOf({ DATABASE_MIGRATION_URL: 'redis://x' })[0]).toMatch(/^DATABASE_MIGRATION_URL: must be a Postgres URL/);
  });

  it('reads REDIS_CLUSTER_NODES as host:port seeds, and refuses a database number a cluster does not have', () => {
    expect(parseConfig({}).redisClusterNodes).toBeUndefined();
    expect(parseConfig({ REDIS_CLUSTER_NODES: 'redis-a:7000, redis-b:7001,10.0.0.3:7002' }).redisClusterNodes).toEqual([
      { host: 'redis-a', port: 7000 },
      { host: 'redis-b', port: 7001 },
      { host: '10.0.0.3', port: 7002 },
    ]);
    expect(problemsOf({ REDIS_CLUSTER_NODES: 'redis-a' })).toEqual(['REDIS_CLUSTER_NODES: must be host:port pairs separated by commas (got "redis-a")']);
    expect(problemsOf({ REDIS_CLUSTER_NODES: 'redis-a:7000', REDIS_URL: 'redis://:pw@x:6379/2' })).toEqual([
      'REDIS_URL: names a database, but a Redis Cluster (REDIS_CLUSTER_NODES) has only database 0',
    ]);
  });

  it('gives one line per bad variable', () => {
    const problems = problemsOf({ PORT: 'x', DIGEST_TZ: 'Mars/Olympus', DIGEST_CRON: 'every day', LOG_LEVEL: 'loud' });
    expect(problems.map((line) => line.split(':')[0]).sort()).toEqual(['DIGEST_CRON', 'DIGEST_TZ', 'LOG_LEVEL', 'PORT']);
  });

  it('never echoes a secret back', () => {
    const problems = problemsOf({ NODE_ENV: 'production', SECRET_KEY: 'short', ADMIN_TOKEN: 'tiny', PUBLIC_URL: 'https://x.org', MAIL_POSTAL_ADDRESS: '1 Road' });
    expect(problems.join('\n')).not.toContain('short');
    expect(problems.join('\n')).not.toContain('tiny');
  });

  it('refuses development secrets, plain http, local mail and a missing postal address in production', () => {
    const problems = problemsOf({ NODE_ENV: 'production' });
    expect(problems.map((line) => line.split(':')[0]).sort()).toEqual([
      'ADMIN_TOKEN',
      'MAIL_FROM',
      'MAIL_POSTAL_ADDRESS',
      'PUBLIC_URL',
      'SECRET_KEY',
      'SMTP_URL',
    ]);
  });

  /** Everything production needs, on a domain that is not reserved. */
  const production = {
    NODE_ENV: 'production',
    SECRET_KEY: 'k'.repeat(40),
    ADMIN_TOKEN: 'alice:aaaaaaaaaaaaaaaaaaaa,bbbbbbbbbbbbbbbbbbbb',
    PUBLIC_URL: 'https://papers.acme-research.org/',
    MAIL_FROM: 'Paperboy <papers@acme-research.org>',
    SMTP_URL: 'smtp://mail.acme-research.org:587',
    MAIL_POSTAL_ADDRESS: '1 Example Street, Exampletown',
  };

  it('starts in production with real secrets', () => {
    const config = parseConfig(production);
    expect(config.publicUrl).toBe('https://papers.acme-research.org');
    expect(config.adminTokens).toEqual([
      { name: 'alice', secret: 'a'.repeat(20) },
      { name: 'token-2', secret: 'b'.repeat(20) },
    ]);
  });

  it('refuses to deliver nothing in production: no SMTP_URL is one line naming it', () => {
    const { SMTP_URL: _unset, ...withoutSmtp } = production;
    expect(problemsOf(withoutSmtp)).toEqual([
      'SMTP_URL: is required in production (without it mail is written to a folder and no reader gets it)',
    ]);
  });

  it.each([
    ['papers@localhost'],
    ['Paperboy <papers@localhost>'],
    ['papers@mail.localhost'],
    ['papers@news.local'],
    ['papers@news.test'],
    ['papers@news.invalid'],
    ['papers@news.example'],
    ['papers@example.com'],
    ['papers@news.example.net'],
    ['papers@EXAMPLE.ORG'],
    ['papers@[127.0.0.1]'],
  ])('refuses MAIL_FROM %s in production, naming the variable', (from) => {
    const problems = problemsOf({ ...production, MAIL_FROM: from });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^MAIL_FROM: must be an address on a real domain in production/);
  });

  it.each([
    ['https://localhost'],
    ['https://localhost:3000'],
    ['https://papers.local'],
    ['https://papers.test/'],
    ['https://papers.invalid'],
    ['https://papers.example'],
    ['https://app.localhost'],
    ['https://example.com'],
    ['https://papers.example.org'],
    ['https://127.0.0.1'],
    ['https://127.8.9.10:8443'],
    ['https://[::1]'],
  ])('refuses PUBLIC_URL %s in production, naming the variable', (publicUrl) => {
    const problems = problemsOf({ ...production, PUBLIC_URL: publicUrl });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^PUBLIC_URL: must be on a real domain in production/);
  });

  it('wants a METRICS_TOKEN of 16+ characters in production, and never echoes it', () => {
    expect(problemsOf({ ...production, METRICS_TOKEN: 'short-scrape' })).toEqual(['METRICS_TOKEN: must be at least 16 characters in production']);
    expect(parseConfig({ ...production, METRICS_TOKEN: 'scrape-token-0123456789' }).metricsToken).toBe('scrape-token-0123456789');
    expect(parseConfig({}).metricsToken).toBeUndefined();
  });

  it('accepts real domains that merely contain a reserved word', () => {
    expect(problemsOf({ ...production, PUBLIC_URL: 'https://localhost-news.org', MAIL_FROM: 'papers@example.company.io' })).toEqual([]);
  });

  it('refuses a From address with a line break (header injection)', () => {
    expect(problemsOf({ MAIL_FROM: 'a@b.org\r\nBcc: victim@x.org' })[0]).toMatch(/^MAIL_FROM: must not contain line breaks/);
  });

  it('wants the address of MAIL_FROM in ASCII (a non-ASCII sender would need SMTPUTF8 for every message); the name may be in any script', () => {
    expect(problemsOf({ MAIL_FROM: 'Paperboy <papiere@bücher.example>' })).toEqual([
      expect.stringMatching(/^MAIL_FROM: the address must be ASCII: write an international domain in its xn-- form/),
    ]);
    expect(problemsOf({ MAIL_FROM: 'jürgen@example.org' })[0]).toMatch(/^MAIL_FROM: the address must be ASCII/);
    expect(problemsOf({ MAIL_FROM: 'Zeitungsjunge Jürgen <papiere@xn--bcher-kva.example>' })).toEqual([]);
  });

  it('wants the three DKIM variables together', () => {
    expect(problemsOf({ DKIM_DOMAIN: 'example.org' })[0]).toMatch(/^DKIM_DOMAIN: DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY/);
  });

  it('takes a bounce domain (lowercased), its receiver port and the soft-bounce limit, and wants them together', () => {
    const config = parseConfig({ BOUNCE_DOMAIN: 'Bounces.Acme-Research.org', BOUNCE_SMTP_PORT: '2525', SOFT_BOUNCE_LIMIT: '5' });
    expect(config.mail.bounceDomain).toBe('bounces.acme-research.org');
    expect(config.bounces).toEqual({ smtpPort: 2525, softBounceLimit: 5 });
    expect(parseConfig({}).bounces).toEqual({ smtpPort: undefined, softBounceLimit: 3 });
    expect(problemsOf({ BOUNCE_DOMAIN: 'not a domain' })[0]).toMatch(/^BOUNCE_DOMAIN: must be a domain name/);
    expect(problemsOf({ BOUNCE_SMTP_PORT: '2525' })).toEqual(['BOUNCE_SMTP_PORT: needs BOUNCE_DOMAIN, the domain the bounce receiver accepts mail for']);
    expect(problemsOf({ PAPERBOY_ROLE: 'bounces', BOUNCE_DOMAIN: 'bounces.acme-research.org' })).toEqual(['PAPERBOY_ROLE: "bounces" needs BOUNCE_DOMAIN and BOUNCE_SMTP_PORT']);
    expect(problemsOf({ SOFT_BOUNCE_LIMIT: '0' })[0]).toMatch(/^SOFT_BOUNCE_LIMIT: must be at least 1/);
  });

  it('refuses a reserved BOUNCE_DOMAIN in production: its MX record must reach the receiver', () => {
    const production = {
      NODE_ENV: 'production',
      PUBLIC_URL: 'https://papers.acme-research.org',
      MAIL_FROM: 'papers@acme-research.org',
      SMTP_URL: 'smtp://127.0.0.1:9',
      MAIL_POSTAL_ADDRESS: '1 Road',
      SECRET_KEY: 'x'.repeat(40),
      ADMIN_TOKEN: 'y'.repeat(20),
    };
    expect(problemsOf({ ...production, BOUNCE_DOMAIN: 'bounces.example.org' }).map((line) => line.split(':')[0])).toEqual(['BOUNCE_DOMAIN']);
    expect(problemsOf({ ...production, BOUNCE_DOMAIN: 'bounces.acme-research.org' })).toEqual([]);
  });

  it('treats an empty variable as unset', () => {
    expect(parseConfig({ PORT: '', SMTP_URL: '' }).http.port).toBe(3000);
  });
});
