ALTER TABLE "send_runs" ADD COLUMN "delivery_counts" jsonb;--> statement-breakpoint
-- Hand-written below: a finished run's counts are stored once, when it ends, so reports read one
-- row instead of counting the ledger on every request, and they outlive the edition's deliveries
-- (retention drops them whole).
-- A run's deliveries by status (every status present, zeros included), on one edition's partition.
-- No enum literal here or below: values added by earlier migrations ('bounced', 'cancelled') are not
-- committed yet when a new database runs every migration in one transaction.
CREATE FUNCTION "paperboy_run_delivery_counts"(run bigint, edition bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT '{"queued": 0, "claimed": 0, "sent": 0, "failed": 0, "skipped": 0, "bounced": 0}'::jsonb
		|| coalesce(jsonb_object_agg(by_status.status, by_status.count), '{}'::jsonb)
	FROM (SELECT status, count(*) AS count FROM deliveries WHERE send_run_id = run AND edition_id = edition GROUP BY status) by_status
$$;--> statement-breakpoint
-- Every way a run ends (completion, cancel) stores its counts: an AFTER trigger runs once the whole
-- statement is done, so it sees what the same statement changed in the ledger (a cancel's skipped
-- deliveries). It updates only delivery_counts, which does not fire it again.
CREATE FUNCTION "paperboy_store_run_delivery_counts"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE send_runs SET delivery_counts = paperboy_run_delivery_counts(NEW.id, NEW.edition_id) WHERE id = NEW.id;
	RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "send_runs_store_delivery_counts" AFTER UPDATE OF "status" ON "send_runs" FOR EACH ROW
	WHEN (NEW.status::text IN ('completed', 'cancelled') AND OLD.status IS DISTINCT FROM NEW.status)
	EXECUTE FUNCTION "paperboy_store_run_delivery_counts"();--> statement-breakpoint
UPDATE "send_runs" SET "delivery_counts" = paperboy_run_delivery_counts("id", "edition_id") WHERE "status"::text IN ('completed', 'cancelled');
