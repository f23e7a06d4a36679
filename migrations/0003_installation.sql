CREATE TABLE "installation" (
	"id" text PRIMARY KEY DEFAULT substr(md5(gen_random_uuid()::text), 1, 16) NOT NULL,
	"database_oid" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
-- The installation's one row, made with the table so every database gets its own random id.
INSERT INTO "installation" ("database_oid") SELECT "oid" FROM "pg_database" WHERE "datname" = current_database();
