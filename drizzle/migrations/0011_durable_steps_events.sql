-- Durable execution: each named step of a run, with its stored result, or the wait it is in.
CREATE TABLE "run_steps" (
	"run_id" uuid NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"status" text NOT NULL,
	"output" jsonb,
	"wait_until" timestamptz,
	"event_name" text,
	"match" jsonb,
	"attempt" integer NOT NULL,
	"started_at" timestamptz DEFAULT now() NOT NULL,
	"finished_at" timestamptz,
	CONSTRAINT "run_steps_pkey" PRIMARY KEY ("run_id", "name"),
	CONSTRAINT "run_steps_kind_check" CHECK ("kind" in ('step', 'sleep', 'wait')),
	CONSTRAINT "run_steps_status_check" CHECK ("status" in ('completed', 'waiting', 'timed_out'))
);
--> statement-breakpoint
-- An emitted event finds the waits it completes through this index.
CREATE INDEX "run_steps_waiting_event_idx" ON "run_steps" ("event_name") WHERE "status" = 'waiting' AND "event_name" IS NOT NULL;
--> statement-breakpoint
-- Typed events emitted through the API or inside a transaction, with the runs they started.
CREATE TABLE "emitted_events" (
	"id" uuid PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"payload" jsonb NOT NULL,
	"idempotency_key" text,
	"runs" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"flows" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"resumed_run_ids" uuid[] DEFAULT '{}' NOT NULL,
	"created_at" timestamptz DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "emitted_events_idempotency_key_idx" ON "emitted_events" ("name", "idempotency_key") WHERE "idempotency_key" IS NOT NULL;
--> statement-breakpoint
CREATE INDEX "emitted_events_name_id_idx" ON "emitted_events" ("name", "id");
--> statement-breakpoint
-- Paused tasks and queues: workers skip their jobs (graphile-worker job flags) until resumed.
CREATE TABLE "pauses" (
	"kind" text NOT NULL,
	"name" text NOT NULL,
	"paused_by" text NOT NULL,
	"paused_at" timestamptz DEFAULT now() NOT NULL,
	CONSTRAINT "pauses_pkey" PRIMARY KEY ("kind", "name"),
	CONSTRAINT "pauses_kind_check" CHECK ("kind" in ('task', 'queue'))
);
--> statement-breakpoint
-- The key a run of a task limited per key was enqueued under (its queue is derived from it).
ALTER TABLE "runs" ADD COLUMN "concurrency_key" text;
