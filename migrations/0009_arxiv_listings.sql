-- Hand-written (issue 17, second slice); no drizzle snapshot was generated for it: the next
-- `drizzle-kit generate` compares against meta/0008_snapshot.json and would repeat these
-- statements, so regenerate the snapshot from schema.ts before generating 0010.
--
-- arXiv listings: which papers a category's listing of a day announced, as what (new, cross,
-- replace, replace-cross), in which order and version; the categories arXiv gives a paper; the
-- listing days a source was asked for, with how many papers it had and, for an empty day, whether
-- the source's calendar expected that (and why); and a third kind of edition, one arXiv
-- category's listing of a day.
ALTER TYPE "public"."edition_kind" ADD VALUE 'arxiv';--> statement-breakpoint
ALTER TABLE "papers" ADD COLUMN "primary_category" text;--> statement-breakpoint
ALTER TABLE "papers" ADD COLUMN "categories" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
CREATE TABLE "paper_listings" (
	"source" text NOT NULL,
	"category" text NOT NULL,
	"listing_date" date NOT NULL,
	"paper_id" text NOT NULL,
	"announce_type" text NOT NULL,
	"position" integer NOT NULL,
	"version" integer,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "paper_listings_source_category_listing_date_paper_id_pk" PRIMARY KEY("source","category","listing_date","paper_id"),
	CONSTRAINT "paper_listings_announce_type_check" CHECK ("paper_listings"."announce_type" in ('new', 'cross', 'replace', 'replace-cross'))
);--> statement-breakpoint
ALTER TABLE "paper_listings" ADD CONSTRAINT "paper_listings_paper_id_papers_id_fk" FOREIGN KEY ("paper_id") REFERENCES "public"."papers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "paper_listings_paper_idx" ON "paper_listings" USING btree ("paper_id");--> statement-breakpoint
CREATE TABLE "source_days" (
	"source" text NOT NULL,
	"category" text DEFAULT '' NOT NULL,
	"listing_date" date NOT NULL,
	"papers" integer NOT NULL,
	"expected" boolean NOT NULL,
	"reason" text,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "source_days_source_category_listing_date_pk" PRIMARY KEY("source","category","listing_date")
);--> statement-breakpoint
CREATE INDEX "source_days_empty_idx" ON "source_days" USING btree ("listing_date") WHERE "source_days"."papers" = 0;
