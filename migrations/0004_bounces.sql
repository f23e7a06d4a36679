CREATE TYPE "public"."mail_event_kind" AS ENUM('hard_bounce', 'soft_bounce', 'complaint', 'deferral');--> statement-breakpoint
ALTER TYPE "public"."delivery_status" ADD VALUE 'bounced';--> statement-breakpoint
ALTER TYPE "public"."send_run_status" ADD VALUE 'paused' BEFORE 'completed';--> statement-breakpoint
ALTER TYPE "public"."send_run_status" ADD VALUE 'cancelled';--> statement-breakpoint
CREATE TABLE "mail_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"source" text NOT NULL,
	"event_key" text NOT NULL,
	"kind" "mail_event_kind" NOT NULL,
	"delivery_id" bigint,
	"subscriber_id" bigint,
	"send_run_id" bigint,
	"detail" text,
	"occurred_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "send_runs" ADD COLUMN "hard_bounces" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "send_runs" ADD COLUMN "soft_bounces" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "send_runs" ADD COLUMN "complaints" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "send_runs" ADD COLUMN "paused_reason" text;--> statement-breakpoint
ALTER TABLE "send_runs" ADD COLUMN "paused_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "subscribers" ADD COLUMN "soft_bounce_streak" smallint DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "mail_events_source_event_key" ON "mail_events" USING btree ("source","event_key");--> statement-breakpoint
CREATE INDEX "mail_events_send_run_idx" ON "mail_events" USING btree ("send_run_id","kind");--> statement-breakpoint
CREATE INDEX "mail_events_subscriber_idx" ON "mail_events" USING btree ("subscriber_id");--> statement-breakpoint
CREATE INDEX "deliveries_message_id_idx" ON "deliveries" USING btree ("message_id") WHERE "deliveries"."message_id" is not null;