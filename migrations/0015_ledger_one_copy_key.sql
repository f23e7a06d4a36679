-- Issue 15: every delivery the fan-out wrote cost four index entries and a foreign-key check
-- (a row lock of the reader, itself a write), the biggest part of the send's Postgres CPU.
-- One unique key now does the work of three indexes. Within an edition a reader has one first
-- copy (copy key 0) and at most one copy per resend run (copy key the run's id), so it is unique
-- where the run-and-reader key and the first-copy key were, and its leading reader column serves
-- every lookup by reader that the (reader, edition) index served.
-- The reader's foreign key goes too: erasing a reader and retention's drop of an unsubscribed
-- reader's history delete their deliveries themselves, and a claim deletes a delivery whose reader
-- is gone (a fan-out that wrote it while the reader was being erased).
ALTER TABLE "deliveries" DROP CONSTRAINT "deliveries_subscriber_id_subscribers_id_fk";--> statement-breakpoint
DROP INDEX "deliveries_run_subscriber_key";--> statement-breakpoint
DROP INDEX "deliveries_edition_subscriber_first_copy_key";--> statement-breakpoint
DROP INDEX "deliveries_subscriber_edition_idx";--> statement-breakpoint
CREATE UNIQUE INDEX "deliveries_reader_copy_key" ON "deliveries" USING btree ("subscriber_id","edition_id",(case when "resend" then "send_run_id" else 0 end));
