ALTER TABLE "sent_papers" DROP CONSTRAINT "sent_papers_subscriber_id_subscribers_id_fk";
--> statement-breakpoint
ALTER TABLE "sent_papers" DROP CONSTRAINT "sent_papers_paper_id_papers_id_fk";
--> statement-breakpoint
ALTER TABLE "sent_papers" DROP CONSTRAINT "sent_papers_delivery_id_deliveries_id_fk";
