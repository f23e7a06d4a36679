-- Hand-edited (drizzle-kit wrote the ADD COLUMN as NOT NULL at once): an edition keeps its papers'
-- titles as they were when it was frozen, so a re-import that corrects a title changes neither the
-- archive nor a reader's copy. Existing editions take the titles the papers have now.
ALTER TABLE "edition_papers" ADD COLUMN "title" text;--> statement-breakpoint
UPDATE "edition_papers" SET "title" = "papers"."title" FROM "papers" WHERE "papers"."id" = "edition_papers"."paper_id";--> statement-breakpoint
ALTER TABLE "edition_papers" ALTER COLUMN "title" SET NOT NULL;
