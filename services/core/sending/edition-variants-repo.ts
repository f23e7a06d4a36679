import type { Sql } from '../platform/db/client.js';

/**
 * Data access for an edition's variants: the distinct selections of papers its readers were given
 * (schema.ts edition_variants). A delivery names its selection by variant id.
 */

/**
 * The variant id of each of `paperLists` (non-empty lists of paper ids) for the edition, made
 * when new. Readers with the same selection share one. `known` (list joined by commas -> id)
 * carries what a fan-out already resolved from page to page, and is filled in.
 */
export async function variantIdsOf(sql: Sql, editionId: number, paperLists: ReadonlyArray<readonly string[]>, known: Map<string, number>): Promise<Map<string, number>> {
  const missing = [...new Set(paperLists.map((list) => list.join(',')))].filter((key) => !known.has(key));
  // Two fan-outs of the edition may make the same variant at once: ON CONFLICT leaves the other's
  // row, which this statement's snapshot may not show yet; the next statement reads it.
  for (let attempt = 0; missing.length > 0 && attempt < 3; attempt++) {
    // Paper ids never contain commas: the lists travel comma-joined because unnest flattens nested arrays.
    const rows = await sql<{ id: number; papers: string }[]>`
      with wanted as (
        select w.papers, string_to_array(w.papers, ',') as paper_ids from unnest(${missing}::text[]) as w(papers)
      ), made as (
        insert into edition_variants (edition_id, paper_ids)
        select ${editionId}, wanted.paper_ids from wanted
        on conflict (edition_id, paper_ids) do nothing
        returning id, array_to_string(paper_ids, ',') as papers
      )
      select id, papers from made
      union all
      select v.id, wanted.papers from wanted join edition_variants v on v.edition_id = ${editionId} and v.paper_ids = wanted.paper_ids`;
    for (const row of rows) known.set(row.papers, row.id);
    missing.splice(0, missing.length, ...missing.filter((key) => !known.has(key)));
  }
  if (missing.length > 0) throw new Error(`edition ${editionId}: no variant could be made for ${missing.length} selections`);
  return known;
}

/** The paper ids of each variant among `ids` (a variant never changes). */
export async function findVariantPapers(sql: Sql, ids: readonly number[]): Promise<Map<number, string[]>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const rows = await sql<{ id: number; paper_ids: string[] }[]>`
    select id, paper_ids from edition_variants where id = any(${unique}::int[])`;
  return new Map(rows.map((row) => [row.id, row.paper_ids]));
}
