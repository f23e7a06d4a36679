-- Issue 15: the fan-out's foreign-key checks of each delivery's run and edition (a row lock of
-- each, per delivery) cost more Postgres CPU than writing the row. Neither parent is deleted
-- under its deliveries: a run only when it has none, an edition never (retention drops its
-- partition). The key to the reader stays: erasing a reader deletes their deliveries.
ALTER TABLE "deliveries" DROP CONSTRAINT "deliveries_send_run_id_send_runs_id_fk";
--> statement-breakpoint
ALTER TABLE "deliveries" DROP CONSTRAINT "deliveries_edition_id_editions_id_fk";
