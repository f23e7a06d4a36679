-- Hand-written, like 0005 (drizzle-kit cannot express partitioning): meta/0008_snapshot.json
-- describes the parent tables as schema.ts declares them.
--
-- A smaller ledger per email (issue 15):
-- - a delivery names its papers by `variant_id`, a row of edition_variants (the selection, shared
--   by every reader of the edition who got the same papers), instead of a text[] of its own;
-- - "sent" is the delivery's sent_at: the fan-out reads what a reader was sent from the deliveries
--   themselves, and sent_papers keeps, once a delivery partition is dropped by retention, one row
--   per sent email (reader, variant) for the longer SENT_PAPERS_RETENTION_DAYS;
-- - no stored Message-ID (it is computed from the delivery id and the installation id), no
--   updated_at, and no index on a column a status update changes, so the send's updates are HOT;
--   partitions leave room on each page for them (fillfactor).
-- Existing rows are copied into the new tables (an offline step: run it while nothing sends).
CREATE TABLE "edition_variants" (
	"id" serial PRIMARY KEY NOT NULL,
	"edition_id" bigint NOT NULL,
	"paper_ids" text[] NOT NULL
);--> statement-breakpoint
ALTER TABLE "edition_variants" ADD CONSTRAINT "edition_variants_edition_id_editions_id_fk" FOREIGN KEY ("edition_id") REFERENCES "public"."editions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "edition_variants_edition_papers_key" ON "edition_variants" USING btree ("edition_id","paper_ids");--> statement-breakpoint
INSERT INTO "edition_variants" ("edition_id", "paper_ids")
	SELECT DISTINCT "edition_id", "paper_ids" FROM "deliveries" WHERE cardinality("paper_ids") > 0;--> statement-breakpoint
ALTER TABLE "deliveries" RENAME TO "deliveries_before_0006";--> statement-breakpoint
ALTER SEQUENCE "deliveries_id_seq" OWNED BY NONE;--> statement-breakpoint
ALTER TABLE "deliveries_before_0006" DROP CONSTRAINT "deliveries_pkey";--> statement-breakpoint
ALTER TABLE "deliveries_before_0006" DROP CONSTRAINT "deliveries_send_run_id_send_runs_id_fk";--> statement-breakpoint
ALTER TABLE "deliveries_before_0006" DROP CONSTRAINT "deliveries_edition_id_editions_id_fk";--> statement-breakpoint
ALTER TABLE "deliveries_before_0006" DROP CONSTRAINT "deliveries_subscriber_id_subscribers_id_fk";--> statement-breakpoint
DROP INDEX "deliveries_run_subscriber_key";--> statement-breakpoint
DROP INDEX "deliveries_edition_subscriber_first_copy_key";--> statement-breakpoint
DROP INDEX "deliveries_subscriber_edition_idx";--> statement-breakpoint
DROP INDEX "deliveries_unfinished_idx";--> statement-breakpoint
DROP INDEX "deliveries_run_status_idx";--> statement-breakpoint
DROP INDEX "deliveries_message_id_idx";--> statement-breakpoint
ALTER TABLE "sent_papers" RENAME TO "sent_papers_before_0006";--> statement-breakpoint
DROP INDEX "sent_papers_subscriber_paper_idx";--> statement-breakpoint
-- The old partitions keep their rows until they are copied; their names go to the new ones.
DO $$
DECLARE
	p record;
BEGIN
	FOR p IN
		SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent IN ('deliveries_before_0006'::regclass, 'sent_papers_before_0006'::regclass)
	LOOP
		EXECUTE format('ALTER TABLE %I RENAME TO %I', p.relname, p.relname || '_before_0006');
	END LOOP;
END
$$;--> statement-breakpoint
-- Columns widest first: no alignment padding between them. A sent row keeps neither its claim
-- token (cleared when marked sent) nor an error: about 100 bytes with its header.
CREATE TABLE "deliveries" (
	"id" bigint DEFAULT nextval('deliveries_id_seq') NOT NULL,
	"send_run_id" bigint NOT NULL,
	"edition_id" bigint NOT NULL,
	"subscriber_id" bigint NOT NULL,
	"claimed_at" timestamp with time zone,
	"sent_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"variant_id" integer,
	"attempts" integer DEFAULT 0 NOT NULL,
	"status" "delivery_status" DEFAULT 'queued' NOT NULL,
	"resend" boolean DEFAULT false NOT NULL,
	"claimed_by" text,
	"last_error" text,
	CONSTRAINT "deliveries_pkey" PRIMARY KEY("id","edition_id")
) PARTITION BY LIST ("edition_id");--> statement-breakpoint
ALTER SEQUENCE "deliveries_id_seq" OWNED BY "deliveries"."id";--> statement-breakpoint
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_send_run_id_send_runs_id_fk" FOREIGN KEY ("send_run_id") REFERENCES "public"."send_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_edition_id_editions_id_fk" FOREIGN KEY ("edition_id") REFERENCES "public"."editions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_subscriber_id_subscribers_id_fk" FOREIGN KEY ("subscriber_id") REFERENCES "public"."subscribers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "deliveries_run_subscriber_key" ON "deliveries" USING btree ("send_run_id","subscriber_id","edition_id");--> statement-breakpoint
CREATE UNIQUE INDEX "deliveries_edition_subscriber_first_copy_key" ON "deliveries" USING btree ("edition_id","subscriber_id") WHERE not "deliveries"."resend";--> statement-breakpoint
CREATE INDEX "deliveries_subscriber_edition_idx" ON "deliveries" USING btree ("subscriber_id","edition_id");--> statement-breakpoint
CREATE TABLE "sent_papers" (
	"subscriber_id" bigint NOT NULL,
	"edition_id" bigint NOT NULL,
	"sent_at" timestamp with time zone DEFAULT now() NOT NULL,
	"variant_id" integer NOT NULL
) PARTITION BY LIST ("edition_id");--> statement-breakpoint
CREATE INDEX "sent_papers_subscriber_idx" ON "sent_papers" USING btree ("subscriber_id");--> statement-breakpoint
-- As in 0005, plus a fillfactor for deliveries: every delivery is updated twice (claimed, sent),
-- and a new row version that fits on its page is a HOT update, which writes no index entry and
-- leaves no dead one behind. A deliver job claims up to 50 consecutive deliveries, about a page
-- of them, in one statement, whose old versions cannot be pruned before it commits: the page
-- needs room for all the new ones at once, about as much as the rows themselves (fillfactor 85
-- made a third of the updates non-HOT and the ledger bigger, not smaller). sent_papers rows are
-- written once, never updated.
CREATE OR REPLACE FUNCTION "paperboy_ledger_partitions"(edition bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	IF to_regclass(format('deliveries_e%s', edition)) IS NOT NULL AND to_regclass(format('sent_papers_e%s', edition)) IS NOT NULL THEN
		RETURN;
	END IF;
	PERFORM pg_advisory_xact_lock(727274002, (edition % 2147483647)::int);
	IF to_regclass(format('deliveries_e%s', edition)) IS NULL THEN
		EXECUTE format('CREATE TABLE %I PARTITION OF deliveries FOR VALUES IN (%s) WITH (fillfactor = 50)', 'deliveries_e' || edition, edition);
	END IF;
	IF to_regclass(format('sent_papers_e%s', edition)) IS NULL THEN
		EXECUTE format('CREATE TABLE %I PARTITION OF sent_papers FOR VALUES IN (%s)', 'sent_papers_e' || edition, edition);
	END IF;
END
$$;--> statement-breakpoint
SELECT "paperboy_ledger_partitions"("id") FROM "editions";--> statement-breakpoint
INSERT INTO "deliveries" ("id", "send_run_id", "edition_id", "subscriber_id", "claimed_at", "sent_at", "created_at", "variant_id", "attempts", "status", "resend", "claimed_by", "last_error")
	SELECT d."id", d."send_run_id", d."edition_id", d."subscriber_id", d."claimed_at", d."sent_at", d."created_at", v."id", d."attempts", d."status", d."resend",
		CASE WHEN d."sent_at" IS NULL THEN d."claimed_by" END, d."last_error"
	FROM "deliveries_before_0006" d
	LEFT JOIN "edition_variants" v ON v."edition_id" = d."edition_id" AND v."paper_ids" = d."paper_ids";--> statement-breakpoint
-- What the deliveries say (a sent delivery and its variant) is not written twice: sent_papers
-- keeps only what no delivery says any more, one row per reader and edition.
CREATE TEMPORARY TABLE "sent_before_0006" AS
	SELECT sp."subscriber_id", sp."edition_id", array_agg(sp."paper_id" ORDER BY sp."paper_id") AS "paper_ids", max(sp."sent_at") AS "sent_at"
	FROM "sent_papers_before_0006" sp
	WHERE NOT EXISTS (
		SELECT 1 FROM "deliveries" d
		WHERE d."edition_id" = sp."edition_id" AND d."subscriber_id" = sp."subscriber_id" AND d."sent_at" IS NOT NULL)
	GROUP BY sp."subscriber_id", sp."edition_id";--> statement-breakpoint
INSERT INTO "edition_variants" ("edition_id", "paper_ids")
	SELECT DISTINCT "edition_id", "paper_ids" FROM "sent_before_0006"
	ON CONFLICT DO NOTHING;--> statement-breakpoint
INSERT INTO "sent_papers" ("subscriber_id", "edition_id", "sent_at", "variant_id")
	SELECT s."subscriber_id", s."edition_id", s."sent_at", v."id"
	FROM "sent_before_0006" s
	JOIN "edition_variants" v ON v."edition_id" = s."edition_id" AND v."paper_ids" = s."paper_ids";--> statement-breakpoint
DROP TABLE "deliveries_before_0006";--> statement-breakpoint
DROP TABLE "sent_papers_before_0006";--> statement-breakpoint
DROP TABLE "sent_before_0006";
