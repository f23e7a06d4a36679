-- Hand-written: drizzle-kit cannot express partitioning. The snapshot (meta/0005_snapshot.json)
-- describes the parent tables as schema.ts declares them; the partitions are made at run time by
-- paperboy_ledger_partitions(), one pair per edition, and dropped whole by retention.
--
-- deliveries and sent_papers become LIST-partitioned by edition_id. Existing rows are copied into
-- the new tables (an offline step: run it while nothing sends).
ALTER TABLE "deliveries" RENAME TO "deliveries_before_0005";--> statement-breakpoint
ALTER SEQUENCE "deliveries_id_seq" OWNED BY NONE;--> statement-breakpoint
ALTER TABLE "deliveries_before_0005" DROP CONSTRAINT "deliveries_pkey";--> statement-breakpoint
ALTER TABLE "deliveries_before_0005" DROP CONSTRAINT "deliveries_send_run_id_send_runs_id_fk";--> statement-breakpoint
ALTER TABLE "deliveries_before_0005" DROP CONSTRAINT "deliveries_edition_id_editions_id_fk";--> statement-breakpoint
ALTER TABLE "deliveries_before_0005" DROP CONSTRAINT "deliveries_subscriber_id_subscribers_id_fk";--> statement-breakpoint
DROP INDEX "deliveries_run_subscriber_key";--> statement-breakpoint
DROP INDEX "deliveries_edition_subscriber_first_copy_key";--> statement-breakpoint
DROP INDEX "deliveries_subscriber_edition_idx";--> statement-breakpoint
DROP INDEX "deliveries_unfinished_idx";--> statement-breakpoint
DROP INDEX "deliveries_run_status_idx";--> statement-breakpoint
DROP INDEX "deliveries_message_id_idx";--> statement-breakpoint
CREATE TABLE "deliveries" (
	"id" bigint DEFAULT nextval('deliveries_id_seq') NOT NULL,
	"send_run_id" bigint NOT NULL,
	"edition_id" bigint NOT NULL,
	"subscriber_id" bigint NOT NULL,
	"status" "delivery_status" DEFAULT 'queued' NOT NULL,
	"resend" boolean DEFAULT false NOT NULL,
	"paper_ids" text[] DEFAULT '{}'::text[] NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"message_id" text,
	"last_error" text,
	"claimed_at" timestamp with time zone,
	"claimed_by" text,
	"sent_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "deliveries_pkey" PRIMARY KEY("id","edition_id")
) PARTITION BY LIST ("edition_id");--> statement-breakpoint
ALTER SEQUENCE "deliveries_id_seq" OWNED BY "deliveries"."id";--> statement-breakpoint
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_send_run_id_send_runs_id_fk" FOREIGN KEY ("send_run_id") REFERENCES "public"."send_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_edition_id_editions_id_fk" FOREIGN KEY ("edition_id") REFERENCES "public"."editions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_subscriber_id_subscribers_id_fk" FOREIGN KEY ("subscriber_id") REFERENCES "public"."subscribers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "deliveries_run_subscriber_key" ON "deliveries" USING btree ("send_run_id","subscriber_id","edition_id");--> statement-breakpoint
CREATE UNIQUE INDEX "deliveries_edition_subscriber_first_copy_key" ON "deliveries" USING btree ("edition_id","subscriber_id") WHERE not "deliveries"."resend";--> statement-breakpoint
CREATE INDEX "deliveries_subscriber_edition_idx" ON "deliveries" USING btree ("subscriber_id","edition_id");--> statement-breakpoint
CREATE INDEX "deliveries_unfinished_idx" ON "deliveries" USING btree ("updated_at") WHERE "deliveries"."status" in ('queued', 'claimed');--> statement-breakpoint
CREATE INDEX "deliveries_run_status_idx" ON "deliveries" USING btree ("send_run_id","status");--> statement-breakpoint
CREATE INDEX "deliveries_message_id_idx" ON "deliveries" USING btree ("message_id") WHERE "deliveries"."message_id" is not null;--> statement-breakpoint
ALTER TABLE "sent_papers" RENAME TO "sent_papers_before_0005";--> statement-breakpoint
ALTER TABLE "sent_papers_before_0005" DROP CONSTRAINT "sent_papers_subscriber_id_paper_id_pk";--> statement-breakpoint
CREATE TABLE "sent_papers" (
	"subscriber_id" bigint NOT NULL,
	"paper_id" text NOT NULL,
	"edition_id" bigint NOT NULL,
	"sent_at" timestamp with time zone DEFAULT now() NOT NULL
) PARTITION BY LIST ("edition_id");--> statement-breakpoint
CREATE INDEX "sent_papers_subscriber_paper_idx" ON "sent_papers" USING btree ("subscriber_id","paper_id");--> statement-breakpoint
-- One pair of partitions per edition: made when the edition is inserted (trigger below) and again
-- (a no-op) when a run of it starts, so a run of an edition whose ledger retention dropped still
-- has a table. The
-- advisory lock makes two callers for one edition take turns instead of racing on CREATE TABLE.
CREATE FUNCTION "paperboy_ledger_partitions"(edition bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	IF to_regclass(format('deliveries_e%s', edition)) IS NOT NULL AND to_regclass(format('sent_papers_e%s', edition)) IS NOT NULL THEN
		RETURN;
	END IF;
	PERFORM pg_advisory_xact_lock(727274002, (edition % 2147483647)::int);
	IF to_regclass(format('deliveries_e%s', edition)) IS NULL THEN
		EXECUTE format('CREATE TABLE %I PARTITION OF deliveries FOR VALUES IN (%s)', 'deliveries_e' || edition, edition);
	END IF;
	IF to_regclass(format('sent_papers_e%s', edition)) IS NULL THEN
		EXECUTE format('CREATE TABLE %I PARTITION OF sent_papers FOR VALUES IN (%s)', 'sent_papers_e' || edition, edition);
	END IF;
END
$$;--> statement-breakpoint
-- Every way an edition comes to be (assembly, a test's insert) gives it its ledger tables.
CREATE FUNCTION "paperboy_edition_ledger_partitions"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM paperboy_ledger_partitions(NEW.id);
	RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "editions_ledger_partitions" AFTER INSERT ON "editions" FOR EACH ROW EXECUTE FUNCTION "paperboy_edition_ledger_partitions"();--> statement-breakpoint
SELECT "paperboy_ledger_partitions"("id") FROM "editions";--> statement-breakpoint
INSERT INTO "deliveries" ("id", "send_run_id", "edition_id", "subscriber_id", "status", "resend", "paper_ids", "attempts", "message_id", "last_error", "claimed_at", "claimed_by", "sent_at", "created_at", "updated_at")
	SELECT "id", "send_run_id", "edition_id", "subscriber_id", "status", "resend", "paper_ids", "attempts", "message_id", "last_error", "claimed_at", "claimed_by", "sent_at", "created_at", "updated_at"
	FROM "deliveries_before_0005";--> statement-breakpoint
-- A sent paper goes with its delivery's edition; a row without one (written by hand) with the
-- first edition that holds the paper; a paper in no edition was never sent by Paperboy.
INSERT INTO "sent_papers" ("subscriber_id", "paper_id", "edition_id", "sent_at")
	SELECT sp."subscriber_id", sp."paper_id", e."edition_id", sp."sent_at"
	FROM "sent_papers_before_0005" sp
	CROSS JOIN LATERAL (
		SELECT coalesce(
			(SELECT d."edition_id" FROM "deliveries" d WHERE d."id" = sp."delivery_id" LIMIT 1),
			(SELECT min(ep."edition_id") FROM "edition_papers" ep WHERE ep."paper_id" = sp."paper_id")
		) AS "edition_id"
	) e
	WHERE e."edition_id" IS NOT NULL;--> statement-breakpoint
DROP TABLE "deliveries_before_0005";--> statement-breakpoint
DROP TABLE "sent_papers_before_0005";--> statement-breakpoint
ALTER TABLE "subscribers" ADD COLUMN "history_dropped_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "subscribers_unsubscribed_at_idx" ON "subscribers" USING btree ("unsubscribed_at") WHERE "subscribers"."status" = 'unsubscribed';
