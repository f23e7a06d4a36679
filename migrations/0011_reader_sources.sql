-- Readers choose where their papers come from: Hugging Face trending (every reader so far, hence
-- the default) and any arXiv categories. A reader with neither would get nothing, ever, so the
-- row refuses it.
ALTER TABLE "subscribers" ADD COLUMN "trending" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "subscribers" ADD COLUMN "arxiv_categories" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "subscribers" ADD CONSTRAINT "subscribers_has_source" CHECK ("subscribers"."trending" or cardinality("subscribers"."arxiv_categories") > 0);
