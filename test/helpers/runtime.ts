import { configFromEnv, type Config } from '../../services/core/platform/config/config.js';
import { createLogger } from '../../services/core/platform/logging/logger.js';
import { createRuntime, type Runtime, type RuntimeOverrides } from '../../services/runtime.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { deleteQueueKeys, TEST_REDIS_URL, uniqueQueuePrefix } from './redis.js';

/**
 * Settings that production accepts (real-looking domains, long secrets, an SMTP_URL), for tests of
 * what production does differently. Nothing here is ever contacted: the SMTP port is never dialled.
 */
export const PRODUCTION_ENV: Readonly<Record<string, string>> = {
  NODE_ENV: 'production',
  PUBLIC_URL: 'https://papers.paperboy-mail.net',
  MAIL_FROM: 'Paperboy <papers@paperboy-mail.net>',
  SMTP_URL: 'smtp://127.0.0.1:9',
  MAIL_POSTAL_ADDRESS: 'Paperboy, 1 Main St, Springfield',
  SECRET_KEY: 'production-test-secret-key-production-test',
  ADMIN_TOKEN: 'production-test-admin-token',
};

export interface TestRuntime {
  runtime: Runtime;
  config: Readonly<Config>;
  database: TestDatabase;
  queuePrefix: string;
  /** Closes the runtime, drops the database and deletes the file's Redis keys. */
  cleanup(): Promise<void>;
}

/**
 * A whole Paperboy runtime on a private database and queue prefix. `env` takes environment
 * variables as a user would set them; `overrides` swaps the mail transport or the clock;
 * `postgresServer` puts the database on a private Postgres (startPrivatePostgres's `server`).
 */
export async function createTestRuntime(
  label: string,
  env: Record<string, string | undefined> = {},
  overrides: RuntimeOverrides = {},
  postgresServer?: string,
): Promise<TestRuntime> {
  const database = await createTestDatabase(label, postgresServer);
  const queuePrefix = uniqueQueuePrefix(label);
  const config = configFromEnv({
    DATABASE_URL: database.url,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: queuePrefix,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    PUBLIC_URL: 'http://paperboy.test',
    // Never the real Hugging Face: tests that fetch start a local replay server and say so.
    HF_API_URL: 'http://127.0.0.1:9/api/daily_papers',
    ...env,
  });
  const runtime = createRuntime(config, createLogger({ level: config.logLevel }), overrides);
  return {
    runtime,
    config,
    database,
    queuePrefix,
    async cleanup() {
      await runtime.close();
      await database.drop();
      await deleteQueueKeys(queuePrefix);
    },
  };
}
