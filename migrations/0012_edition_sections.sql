-- The arXiv sections of a daily edition (the category editions frozen with it), and each variant's
-- sections (empty for an all-trending copy, so existing variants stay as they are).
CREATE TABLE "edition_sections" (
	"edition_id" bigint NOT NULL,
	"section_edition_id" bigint NOT NULL,
	CONSTRAINT "edition_sections_edition_id_section_edition_id_pk" PRIMARY KEY("edition_id","section_edition_id")
);
--> statement-breakpoint
DROP INDEX "edition_variants_edition_papers_key";--> statement-breakpoint
ALTER TABLE "edition_variants" ADD COLUMN "paper_sections" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "edition_sections" ADD CONSTRAINT "edition_sections_edition_id_editions_id_fk" FOREIGN KEY ("edition_id") REFERENCES "public"."editions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "edition_sections" ADD CONSTRAINT "edition_sections_section_edition_id_editions_id_fk" FOREIGN KEY ("section_edition_id") REFERENCES "public"."editions"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "edition_variants_edition_papers_key" ON "edition_variants" USING btree ("edition_id","paper_ids","paper_sections");