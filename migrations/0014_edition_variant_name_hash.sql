-- Issue 17 review: a copy in sections may hold 21 sections of 50 papers, ~30 KB of paper ids and
-- sections, over the 2,704 bytes a btree index row may take, so the unique index over the whole
-- lists made the fan-out's insert of such a variant fail (and its page, and its run). A variant
-- is now found by the md5 of its lists, computed by Postgres from the row (one definition, here;
-- existing rows get theirs when the column is added). array_to_string is only STABLE in general
-- (an element's output function may depend on settings); for text[] it is immutable, as a
-- generated column needs. Paper ids and categories never contain "," or "|".
CREATE FUNCTION paperboy_variant_name_hash(paper_ids text[], paper_sections text[]) RETURNS text
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	AS $$ SELECT md5(array_to_string(paper_ids, ',') || '|' || array_to_string(paper_sections, ',')) $$;--> statement-breakpoint
DROP INDEX "edition_variants_edition_papers_key";--> statement-breakpoint
ALTER TABLE "edition_variants" ADD COLUMN "name_hash" text GENERATED ALWAYS AS (paperboy_variant_name_hash(paper_ids, paper_sections)) STORED NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "edition_variants_edition_name_hash_key" ON "edition_variants" USING btree ("edition_id","name_hash");--> statement-breakpoint
-- The fan-out looks up, for each page, the daily editions an arXiv section's papers were sent
-- with (edition_sections by section_edition_id); the key of edition_sections starts with
-- edition_id, so without this index that is a scan of the table. It also serves the
-- ON DELETE RESTRICT check of a category edition.
CREATE INDEX "edition_sections_section_edition_idx" ON "edition_sections" USING btree ("section_edition_id");
