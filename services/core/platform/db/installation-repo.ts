import type postgres from 'postgres';

// The database client reads it, so this file takes the raw client type, not client.ts's alias.

/**
 * This database's installation id (see the `installation` table). A database restored or copied
 * into another database (a staging copy, a restore of an older dump) finds a different database
 * oid in its row and draws a new id first: its delivery ids may repeat ones the original already
 * used. When two processes start together on such a copy, the row lock makes the second update
 * find the row already renewed, so both read the same new id.
 */
export async function readInstallationId(sql: postgres.Sql): Promise<string> {
  await sql`
    update installation
    set id = default, database_oid = d.oid
    from pg_database d
    where d.datname = current_database() and installation.database_oid <> d.oid`;
  const [row] = await sql<{ id: string }[]>`select id from installation`;
  if (!row) throw new Error('the installation table has no row; the database was not migrated by Paperboy');
  return row.id;
}
