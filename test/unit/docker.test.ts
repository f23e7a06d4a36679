import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEPLOYED_WORKER_FLAGS } from '../../bench/worker-flags.js';
import { CONFIG_VARIABLES } from '../../services/core/platform/config/config.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  healthcheck?: { test?: string[]; disable?: boolean };
  depends_on?: Record<string, { condition: string }>;
  profiles?: string[];
}

const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
};
const services = compose.services;

describe('docker-compose.yml', () => {
  it('runs Postgres, Redis, Mailpit, the migrations, the api and the worker, and the bounce receiver on demand', () => {
    expect(Object.keys(services).sort()).toEqual(['api', 'bounces', 'mailpit', 'migrate', 'postgres', 'redis', 'worker']);
    // It needs BOUNCE_DOMAIN: a plain `docker compose up` must not start it into a restart loop.
    expect(services.bounces?.profiles).toEqual(['bounces']);
  });

  it('runs the bounce receiver as its own role, its SMTP port published as 25 for the MX record', () => {
    expect(services.bounces?.environment?.PAPERBOY_ROLE).toBe('bounces');
    const port = services.bounces?.environment?.BOUNCE_SMTP_PORT;
    expect(services.bounces?.ports).toContain(`25:${port}`);
    for (const role of ['api', 'worker', 'bounces']) expect(services[role]?.environment?.BOUNCE_DOMAIN, role).toBe('${BOUNCE_DOMAIN:-}');
  });

  it('configures Redis as BullMQ needs it: AOF on, noeviction', () => {
    const command = services.redis?.command?.join(' ') ?? '';
    expect(command).toContain('--appendonly yes');
    expect(command).toContain('--maxmemory-policy noeviction');
  });

  it('gives every long-running service a healthcheck', () => {
    for (const name of ['postgres', 'redis', 'mailpit', 'api', 'worker', 'bounces']) {
      expect(services[name]?.healthcheck?.test?.length, name).toBeGreaterThan(0);
    }
    expect(services.api?.healthcheck?.test?.join(' ')).toContain('/readyz');
  });

  it('applies migrations before either role starts', () => {
    expect(services.migrate?.command).toEqual(['node', 'dist/services/cli/main.js', 'migrate']);
    for (const role of ['api', 'worker', 'bounces']) {
      expect(services[role]?.depends_on?.migrate?.condition).toBe('service_completed_successfully');
      expect(services[role]?.depends_on?.redis?.condition).toBe('service_healthy');
    }
    expect(services.migrate?.depends_on?.postgres?.condition).toBe('service_healthy');
  });

  it('points the app at the compose services and splits the roles', () => {
    const env = services.api?.environment ?? {};
    expect(new URL(env.DATABASE_URL ?? '').hostname).toBe('postgres');
    expect(new URL(env.REDIS_URL ?? '').hostname).toBe('redis');
    // Mailpit unless the operator names a real SMTP server.
    expect(env.SMTP_URL).toBe('${SMTP_URL:-smtp://mailpit:1025}');
    expect(env.PAPERBOY_ROLE).toBe('api');
    expect(services.worker?.environment?.PAPERBOY_ROLE).toBe('worker');
    expect(services.api?.ports).toContain('3000:3000');
    expect(services.mailpit?.ports).toContain('8025:8025');
  });

  it('takes what production requires from the environment (or an .env file)', () => {
    const production = ['NODE_ENV', 'PUBLIC_URL', 'MAIL_FROM', 'MAIL_POSTAL_ADDRESS', 'SECRET_KEY', 'ADMIN_TOKEN', 'SMTP_URL', 'METRICS_TOKEN', 'TRUST_PROXY', 'DKIM_DOMAIN', 'DKIM_SELECTOR', 'DKIM_PRIVATE_KEY'];
    for (const role of ['api', 'worker', 'migrate', 'bounces']) {
      const env = services[role]?.environment ?? {};
      expect(production.filter((name) => !env[name]?.startsWith(`\${${name}:-`)), role).toEqual([]);
    }
  });

  it('sets only variables Paperboy knows (the heap bound is in the image, for every role)', () => {
    for (const role of ['api', 'worker', 'migrate', 'bounces']) {
      const unknown = Object.keys(services[role]?.environment ?? {}).filter(
        (name) => !(CONFIG_VARIABLES as readonly string[]).includes(name),
      );
      expect(unknown, role).toEqual([]);
    }
  });

  const composeBinary = ['/usr/bin/docker-compose', '/usr/local/bin/docker-compose'].find((file) => existsSync(file));
  it.runIf(composeBinary || process.env.CI)('is a valid compose file for docker-compose', () => {
    expect(composeBinary, 'docker-compose is installed by .ci/run').toBeDefined();
    execFileSync(composeBinary as string, ['-f', path.join(ROOT, 'docker-compose.yml'), 'config', '-q'], { stdio: 'pipe' });
  });
});

describe('docker/Dockerfile', () => {
  const dockerfile = readFileSync(path.join(ROOT, 'docker/Dockerfile'), 'utf8');

  it('builds in stages and runs compiled JavaScript as a non-root user', () => {
    expect(dockerfile.match(/^FROM node:20/gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^CMD \["node", .*"dist\/services\/main\.js"\]$/m);
    expect(dockerfile).toContain('npm ci --omit=dev');
  });

  it('bounds the heap of every role as npm start does and the benchmark measures it', () => {
    const command = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)?.[1] ?? '[]') as string[];
    expect(command).toEqual(['node', ...DEPLOYED_WORKER_FLAGS, 'dist/services/main.js']);
    const { scripts } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    // exec: npm's shell becomes the Node process, so npm's signals reach Paperboy itself.
    expect(scripts.start).toBe(`exec node ${DEPLOYED_WORKER_FLAGS.join(' ')} --import tsx services/main.ts`);
  });

  it('ships the migrations, templates and data beside the compiled code', () => {
    expect(dockerfile).toContain('COPY migrations ./dist/migrations');
    expect(dockerfile).toContain('COPY templates ./dist/templates');
    expect(dockerfile).toContain('COPY data ./dist/data');
  });
});
