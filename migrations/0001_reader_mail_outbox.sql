CREATE TYPE "public"."reader_mail_kind" AS ENUM('confirmation', 'manage-links');--> statement-breakpoint
CREATE TABLE "reader_mail_outbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"subscriber_id" bigint NOT NULL,
	"kind" "reader_mail_kind" NOT NULL,
	"window_started_at" timestamp with time zone NOT NULL,
	"sent_in_window" smallint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "reader_mail_outbox" ADD CONSTRAINT "reader_mail_outbox_subscriber_id_subscribers_id_fk" FOREIGN KEY ("subscriber_id") REFERENCES "public"."subscribers"("id") ON DELETE cascade ON UPDATE no action;