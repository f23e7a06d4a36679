import type { Sql } from '../platform/db/client.js';

/**
 * Data access for an edition's variants: the distinct selections of papers its readers were given
 * (schema.ts edition_variants). A delivery names its selection by variant id.
 */

/** A selection: its papers and, for a copy in sections, the section of each (see section-selection.ts). */
export interface VariantSelection {
  paperIds: readonly string[];
  paperSections: readonly string[];
}

/** How a fan-out names a selection it resolved: "id,id" for an all-trending copy, "id,id|hf,cs.CL" for one in sections. */
export function variantName(selection: VariantSelection): string {
  const papers = selection.paperIds.join(',');
  return selection.paperSections.length === 0 ? papers : `${papers}|${selection.paperSections.join(',')}`;
}

/**
 * The variant id of each of `selections` (non-empty lists of paper ids, with their sections) for
 * the edition, made when new. Readers with the same selection share one. `known` (variantName ->
 * id) carries what a fan-out already resolved from page to page, and is filled in.
 */
export async function variantIdsOf(sql: Sql, editionId: number, selections: readonly VariantSelection[], known: Map<string, number>): Promise<Map<string, number>> {
  const missing = [...new Set(selections.map(variantName))].filter((key) => !known.has(key));
  // Two fan-outs of the edition may make the same variant at once: ON CONFLICT leaves the other's
  // row, which this statement's snapshot may not show yet; the next statement reads it. A variant
  // is keyed by the hash of its lists (name_hash, migration 0014), which a long copy's lists are
  // too wide to be; the lists are compared too, so two selections sharing an md5 would fail
  // loudly below rather than share a variant.
  for (let attempt = 0; missing.length > 0 && attempt < 3; attempt++) {
    // Paper ids and categories never contain commas or "|": the lists travel as variant names
    // because unnest flattens nested arrays.
    const rows = await sql<{ id: number; name: string }[]>`
      with wanted as (
        select w.name, string_to_array(split_part(w.name, '|', 1), ',') as paper_ids,
               case when strpos(w.name, '|') = 0 then '{}'::text[] else string_to_array(split_part(w.name, '|', 2), ',') end as paper_sections
        from unnest(${missing}::text[]) as w(name)
      ), made as (
        insert into edition_variants (edition_id, paper_ids, paper_sections)
        select ${editionId}, wanted.paper_ids, wanted.paper_sections from wanted
        on conflict (edition_id, name_hash) do nothing
        returning id, paper_ids, paper_sections
      )
      select made.id, wanted.name from made join wanted on wanted.paper_ids = made.paper_ids and wanted.paper_sections = made.paper_sections
      union all
      select v.id, wanted.name from wanted
      join edition_variants v on v.edition_id = ${editionId} and v.name_hash = paperboy_variant_name_hash(wanted.paper_ids, wanted.paper_sections)
        and v.paper_ids = wanted.paper_ids and v.paper_sections = wanted.paper_sections`;
    for (const row of rows) known.set(row.name, row.id);
    missing.splice(0, missing.length, ...missing.filter((key) => !known.has(key)));
  }
  if (missing.length > 0) throw new Error(`edition ${editionId}: no variant could be made for ${missing.length} selections`);
  return known;
}
