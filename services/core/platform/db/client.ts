import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { readInstallationId } from './installation-repo.js';
import * as schema from './schema.js';

export type Database = PostgresJsDatabase<typeof schema>;
export type Sql = postgres.Sql;
/** The pool or one of its transactions: data-layer functions that may run inside a transaction take this. */
export type SqlExecutor = Sql | postgres.TransactionSql;

export interface DatabaseClient {
  db: Database;
  /** The raw postgres.js client, for cursors and COPY-style bulk work in the data layer. */
  sql: Sql;
  /**
   * A small pool (two connections, opened on demand) whose prepared statements keep one generic
   * plan (plan_cache_mode=force_generic_plan), for the send's most frequent writes. Postgres
   * plans a prepared statement that takes arrays again at every call (it cannot tell how long
   * they are, so a custom plan always looks better), and planning costs more than writing a few
   * rows. Only for statements whose plan does not depend on their values: a statement on a
   * partitioned table would lock every partition at each call (name the partition instead).
   * Without prepared statements (DATABASE_PREPARE=false) it is `sql` itself: nothing is kept.
   */
  genericPlanSql: Sql;
  /** This database's installation id, for Message-IDs: read once per client, then kept. */
  installationId(): Promise<string>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  url: string;
  maxConnections?: number;
  /** Seconds to wait for a connection before a query fails; keeps /readyz honest when Postgres is down. */
  connectTimeoutSeconds?: number;
  /**
   * Whether postgres.js prepares statements (the default): faster on a direct connection, broken
   * behind PgBouncer in transaction mode, where the next transaction may land on a server
   * connection that never saw the statement (DATABASE_PREPARE=false).
   */
  prepare?: boolean;
}

/**
 * The process's database access; the composition root owns it and closes it last. drizzle
 * rewires its postgres.js client (timestamps and JSON pass through as strings), so the raw
 * `sql` client is a separate small pool that keeps postgres.js's own types (Date, objects).
 * Connections open on demand, so the second pool costs nothing until the data layer uses it.
 */
export function createDatabaseClient(options: DatabaseOptions): DatabaseClient {
  const settings = {
    connect_timeout: options.connectTimeoutSeconds ?? 5,
    idle_timeout: 30,
    prepare: options.prepare ?? true,
    onnotice: () => {},
  };
  const max = options.maxConnections ?? 10;
  const drizzleClient = postgres(options.url, { ...settings, max });
  const sql = postgres(options.url, { ...settings, max });
  // A startup parameter: PgBouncer, in any pool mode, refuses a connection that sends one it does
  // not know unless ignore_startup_parameters lists it (README, PgBouncer; pooledStartupRefusal).
  // postgres.js runs nothing on connect, and a SET per write would cost more than the plan saves.
  const genericPlanSql = settings.prepare ? postgres(options.url, { ...settings, max: 2, connection: { plan_cache_mode: 'force_generic_plan' } }) : sql;
  let installationId: Promise<string> | undefined;
  return {
    db: drizzle(drizzleClient, { schema }),
    sql,
    genericPlanSql,
    installationId() {
      if (!installationId) {
        const reading = readInstallationId(sql);
        // A failed read (Postgres away) is tried again by the next caller.
        reading.catch(() => installationId === reading && (installationId = undefined));
        installationId = reading;
      }
      return installationId;
    },
    close: async () => {
      await Promise.all([drizzleClient.end({ timeout: 5 }), sql.end({ timeout: 5 }), genericPlanSql === sql ? undefined : genericPlanSql.end({ timeout: 5 })]);
    },
  };
}

/**
 * What to do when `error` is a connection pooler (PgBouncer) refusing genericPlanSql's
 * plan_cache_mode startup parameter, for the log of the write that failed; else undefined.
 */
export function pooledStartupRefusal(error: unknown): string | undefined {
  const message = (error as { message?: unknown } | undefined)?.message;
  if (typeof message !== 'string' || !/unsupported startup parameter/i.test(message)) return undefined;
  return "the connection pooler (PgBouncer) refuses the plan_cache_mode startup parameter: set DATABASE_PREPARE=false, or list plan_cache_mode in PgBouncer's ignore_startup_parameters";
}

/** Host and port of a database URL, to name the server in errors without its credentials. */
export function describeDatabase(url: string): string {
  const parsed = new URL(url);
  return `Postgres at ${parsed.hostname}:${parsed.port || '5432'}/${parsed.pathname.replace(/^\//, '')}`;
}

/** Socket-level failures: the server is down, restarting or unreachable (postgres.js and Node codes). */
const CONNECTION_FAILURES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN',
  'CONNECT_TIMEOUT', 'CONNECTION_CLOSED', 'CONNECTION_DESTROYED',
]);

/**
 * Whether `error` says Postgres is not answering right now (a restart, a crash, a network cut)
 * rather than that a query is wrong: worth waiting for, since the driver reconnects by itself.
 * SQLSTATE class 08 is a broken connection; 57P01-57P03 a server shutting down or starting up.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string') return false;
  return CONNECTION_FAILURES.has(code) || code.startsWith('08') || /^57P0[1-3]$/.test(code);
}
