import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { MIGRATIONS_DIR } from '../paths.js';
import { describeDatabase } from './client.js';

/** Arbitrary constant shared by every Paperboy process: the advisory lock that serialises migrations. */
const MIGRATION_LOCK_ID = 727_274_001;

class DatabaseUnavailableError extends Error {
  constructor(url: string, cause: unknown) {
    const reason = cause instanceof Error ? (cause as NodeJS.ErrnoException).code ?? cause.message : String(cause);
    super(`${describeDatabase(url)} is not reachable (${reason}); start Postgres or fix DATABASE_URL`);
    this.name = 'DatabaseUnavailableError';
  }
}

function isConnectionError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ETIMEDOUT' || code === 'CONNECT_TIMEOUT' || code === 'EHOSTUNREACH' || code === 'EAI_AGAIN';
}

/**
 * Runs `work` on a client of one connection to `connectTo`, closed afterwards. A server that cannot
 * be reached becomes a DatabaseUnavailableError naming `url`, the database the caller is after.
 */
async function onOneConnection(url: string, connectTo: string, work: (sql: postgres.Sql) => Promise<void>): Promise<void> {
  const sql = postgres(connectTo, { max: 1, connect_timeout: 5, onnotice: () => {} });
  try {
    await work(sql);
  } catch (error) {
    if (isConnectionError(error)) throw new DatabaseUnavailableError(url, error);
    throw error;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/**
 * Creates the database named in `url` when it does not exist, by connecting to the server's
 * `postgres` maintenance database. Safe when several processes race: "already exists" is success.
 */
async function ensureDatabaseExists(url: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  await onOneConnection(url, maintenance.toString(), async (sql) => {
    const rows = await sql`select 1 from pg_database where datname = ${name}`;
    if (rows.length > 0) return;
    await sql.unsafe(`create database "${name.replace(/"/g, '""')}"`).catch((error: { code?: string }) => {
      // 42P04 duplicate_database, 23505 unique_violation: another process created it first.
      if (error.code !== '42P04' && error.code !== '23505') throw error;
    });
  });
}

/**
 * Applies pending drizzle-kit migrations. drizzle's migrator takes no lock of its own, so it runs
 * on a single connection holding a Postgres advisory lock: processes starting together queue up,
 * and each finds the work already done. The lock belongs to a server session, so `url` must reach
 * Postgres directly (DATABASE_MIGRATION_URL): through PgBouncer in transaction mode the lock and
 * its unlock may land on different server connections, and a lock left held stops every later
 * migration.
 */
async function applyMigrations(url: string): Promise<void> {
  await onOneConnection(url, url, async (sql) => {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK_ID})`;
    try {
      await migrate(drizzle(sql), { migrationsFolder: MIGRATIONS_DIR });
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK_ID})`;
    }
  });
}

/** What start-up and `cli migrate` do: create the database if needed, then migrate it. */
export async function prepareDatabase(url: string): Promise<void> {
  await ensureDatabaseExists(url);
  await applyMigrations(url);
}
