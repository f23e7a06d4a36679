-- Hand-written (numbered 0007 beside a concurrent 0006; no snapshot yet: regenerate with
-- drizzle-kit when the numbering is settled). A reader may pause their digest until a date
-- (the fan-out skips them until then) and turn card images off.
ALTER TABLE "subscribers" ADD COLUMN "paused_until" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "subscribers" ADD COLUMN "images" boolean DEFAULT true NOT NULL;
--> statement-breakpoint
-- Who submitted the paper to Daily Papers (display name), shown on digest cards.
ALTER TABLE "papers" ADD COLUMN "submitted_by" text;
