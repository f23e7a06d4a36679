import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { prepareDatabase } from '../../services/core/platform/db/migrate.js';

/** Server the tests use; CI and developer machines run Postgres here with trust auth. */
export const TEST_POSTGRES_SERVER = process.env.TEST_POSTGRES_SERVER ?? 'postgres://postgres@127.0.0.1:5432';

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/**
 * A fresh, migrated database for one test file, so files can run in parallel and leave nothing
 * behind. `drop()` forces other sessions off first. `server` is a private Postgres for tests
 * that restart it.
 */
export async function createTestDatabase(label: string, server = TEST_POSTGRES_SERVER): Promise<TestDatabase> {
  const name = `pb_test_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  const url = `${server}/${name}`;
  await prepareDatabase(url);
  return {
    url,
    name,
    drop: () => dropDatabase(server, name),
  };
}

/** Drops database `name` on `server` (a Postgres URL without a database), forcing other sessions off first. */
export async function dropDatabase(server: string, name: string): Promise<void> {
  const admin = postgres(`${server}/postgres`, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
  } finally {
    await admin.end({ timeout: 5 });
  }
}
