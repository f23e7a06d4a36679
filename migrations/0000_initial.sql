CREATE TYPE "public"."consent_source" AS ENUM('signup_form', 'api', 'import', 'admin');--> statement-breakpoint
CREATE TYPE "public"."delivery_status" AS ENUM('queued', 'claimed', 'sent', 'failed', 'skipped');--> statement-breakpoint
CREATE TYPE "public"."digest_frequency" AS ENUM('daily', 'weekly');--> statement-breakpoint
CREATE TYPE "public"."edition_kind" AS ENUM('daily', 'weekly');--> statement-breakpoint
CREATE TYPE "public"."send_run_kind" AS ENUM('scheduled', 'manual', 'resend');--> statement-breakpoint
CREATE TYPE "public"."send_run_status" AS ENUM('fanning_out', 'sending', 'completed');--> statement-breakpoint
CREATE TYPE "public"."subscriber_status" AS ENUM('pending', 'confirmed', 'unsubscribed');--> statement-breakpoint
CREATE TYPE "public"."suppression_reason" AS ENUM('erased', 'hard_bounce', 'complaint', 'admin');--> statement-breakpoint
CREATE TABLE "admin_audit_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"target" text,
	"params" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"ip" text
);
--> statement-breakpoint
CREATE TABLE "deliveries" (
	"id" bigserial PRIMARY KEY NOT NULL,
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
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "edition_papers" (
	"edition_id" bigint NOT NULL,
	"paper_id" text NOT NULL,
	"rank" integer NOT NULL,
	"upvotes" integer NOT NULL,
	"num_comments" integer NOT NULL,
	CONSTRAINT "edition_papers_edition_id_paper_id_pk" PRIMARY KEY("edition_id","paper_id")
);
--> statement-breakpoint
CREATE TABLE "editions" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"kind" "edition_kind" NOT NULL,
	"key" text NOT NULL,
	"period_start" date NOT NULL,
	"period_end" date NOT NULL,
	"assembled_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "paper_appearances" (
	"paper_id" text NOT NULL,
	"daily_date" date NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "paper_appearances_paper_id_daily_date_pk" PRIMARY KEY("paper_id","daily_date")
);
--> statement-breakpoint
CREATE TABLE "paper_stats" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"paper_id" text NOT NULL,
	"daily_date" date NOT NULL,
	"observed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"upvotes" integer NOT NULL,
	"num_comments" integer NOT NULL,
	"github_stars" integer
);
--> statement-breakpoint
CREATE TABLE "papers" (
	"id" text PRIMARY KEY NOT NULL,
	"title" text NOT NULL,
	"abstract" text NOT NULL,
	"authors" text[] DEFAULT '{}'::text[] NOT NULL,
	"published_at" timestamp with time zone NOT NULL,
	"ai_summary" text,
	"ai_keywords" text[] DEFAULT '{}'::text[] NOT NULL,
	"github_repo" text,
	"github_stars" integer,
	"project_page" text,
	"thumbnail_url" text,
	"organization" text,
	"upvotes" integer DEFAULT 0 NOT NULL,
	"num_comments" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "send_runs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"edition_id" bigint NOT NULL,
	"kind" "send_run_kind" NOT NULL,
	"status" "send_run_status" DEFAULT 'fanning_out' NOT NULL,
	"audience" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"slot" timestamp with time zone,
	"idempotency_key" text,
	"fanout_cursor" bigint DEFAULT 0 NOT NULL,
	"fanout_upper_bound" bigint,
	"created_by" text DEFAULT 'scheduler' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"fanout_completed_at" timestamp with time zone,
	"completed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "sent_papers" (
	"subscriber_id" bigint NOT NULL,
	"paper_id" text NOT NULL,
	"delivery_id" bigint,
	"sent_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sent_papers_subscriber_id_paper_id_pk" PRIMARY KEY("subscriber_id","paper_id")
);
--> statement-breakpoint
CREATE TABLE "subscribers" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"email_normalized" text NOT NULL,
	"status" "subscriber_status" DEFAULT 'pending' NOT NULL,
	"frequency" "digest_frequency" DEFAULT 'daily' NOT NULL,
	"weekday" smallint DEFAULT 1 NOT NULL,
	"send_hour" smallint DEFAULT 7 NOT NULL,
	"time_zone" text DEFAULT 'UTC' NOT NULL,
	"topics" text[] DEFAULT '{}'::text[] NOT NULL,
	"max_papers" smallint DEFAULT 10 NOT NULL,
	"consent_at" timestamp with time zone,
	"consent_ip" text,
	"consent_user_agent" text,
	"consent_form" text,
	"consent_source" "consent_source" DEFAULT 'signup_form' NOT NULL,
	"confirmed_at" timestamp with time zone,
	"unsubscribed_at" timestamp with time zone,
	"confirmation_window_started_at" timestamp with time zone,
	"confirmations_sent_in_window" smallint DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "subscribers_weekday_range" CHECK ("subscribers"."weekday" between 1 and 7),
	CONSTRAINT "subscribers_send_hour_range" CHECK ("subscribers"."send_hour" between 0 and 23),
	CONSTRAINT "subscribers_max_papers_range" CHECK ("subscribers"."max_papers" between 1 and 100)
);
--> statement-breakpoint
CREATE TABLE "suppressions" (
	"email_hash" text PRIMARY KEY NOT NULL,
	"reason" "suppression_reason" NOT NULL,
	"detail" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_send_run_id_send_runs_id_fk" FOREIGN KEY ("send_run_id") REFERENCES "public"."send_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_edition_id_editions_id_fk" FOREIGN KEY ("edition_id") REFERENCES "public"."editions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_subscriber_id_subscribers_id_fk" FOREIGN KEY ("subscriber_id") REFERENCES "public"."subscribers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "edition_papers" ADD CONSTRAINT "edition_papers_edition_id_editions_id_fk" FOREIGN KEY ("edition_id") REFERENCES "public"."editions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "edition_papers" ADD CONSTRAINT "edition_papers_paper_id_papers_id_fk" FOREIGN KEY ("paper_id") REFERENCES "public"."papers"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "paper_appearances" ADD CONSTRAINT "paper_appearances_paper_id_papers_id_fk" FOREIGN KEY ("paper_id") REFERENCES "public"."papers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "paper_stats" ADD CONSTRAINT "paper_stats_paper_id_papers_id_fk" FOREIGN KEY ("paper_id") REFERENCES "public"."papers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "send_runs" ADD CONSTRAINT "send_runs_edition_id_editions_id_fk" FOREIGN KEY ("edition_id") REFERENCES "public"."editions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sent_papers" ADD CONSTRAINT "sent_papers_subscriber_id_subscribers_id_fk" FOREIGN KEY ("subscriber_id") REFERENCES "public"."subscribers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sent_papers" ADD CONSTRAINT "sent_papers_paper_id_papers_id_fk" FOREIGN KEY ("paper_id") REFERENCES "public"."papers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sent_papers" ADD CONSTRAINT "sent_papers_delivery_id_deliveries_id_fk" FOREIGN KEY ("delivery_id") REFERENCES "public"."deliveries"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "admin_audit_log_at_idx" ON "admin_audit_log" USING btree ("at");--> statement-breakpoint
CREATE UNIQUE INDEX "deliveries_run_subscriber_key" ON "deliveries" USING btree ("send_run_id","subscriber_id");--> statement-breakpoint
CREATE UNIQUE INDEX "deliveries_edition_subscriber_first_copy_key" ON "deliveries" USING btree ("edition_id","subscriber_id") WHERE not "deliveries"."resend";--> statement-breakpoint
CREATE INDEX "deliveries_subscriber_edition_idx" ON "deliveries" USING btree ("subscriber_id","edition_id");--> statement-breakpoint
CREATE INDEX "deliveries_unfinished_idx" ON "deliveries" USING btree ("updated_at") WHERE "deliveries"."status" in ('queued', 'claimed');--> statement-breakpoint
CREATE INDEX "deliveries_run_status_idx" ON "deliveries" USING btree ("send_run_id","status");--> statement-breakpoint
CREATE UNIQUE INDEX "edition_papers_rank_key" ON "edition_papers" USING btree ("edition_id","rank");--> statement-breakpoint
CREATE INDEX "edition_papers_paper_idx" ON "edition_papers" USING btree ("paper_id");--> statement-breakpoint
CREATE UNIQUE INDEX "editions_key_key" ON "editions" USING btree ("key");--> statement-breakpoint
CREATE INDEX "editions_kind_period_idx" ON "editions" USING btree ("kind","period_end");--> statement-breakpoint
CREATE INDEX "paper_appearances_date_idx" ON "paper_appearances" USING btree ("daily_date");--> statement-breakpoint
CREATE INDEX "paper_stats_paper_observed_idx" ON "paper_stats" USING btree ("paper_id","observed_at");--> statement-breakpoint
CREATE UNIQUE INDEX "send_runs_idempotency_key_key" ON "send_runs" USING btree ("idempotency_key");--> statement-breakpoint
CREATE UNIQUE INDEX "send_runs_edition_slot_key" ON "send_runs" USING btree ("edition_id","slot");--> statement-breakpoint
CREATE INDEX "send_runs_edition_idx" ON "send_runs" USING btree ("edition_id");--> statement-breakpoint
CREATE UNIQUE INDEX "subscribers_email_normalized_key" ON "subscribers" USING btree ("email_normalized");--> statement-breakpoint
CREATE INDEX "subscribers_confirmed_id_idx" ON "subscribers" USING btree ("id") WHERE "subscribers"."status" = 'confirmed';