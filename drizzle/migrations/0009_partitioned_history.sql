-- Runs and events become partitioned by time, so retention drops whole partitions instead of
-- deleting rows. The existing tables become each parent's first partition, with their rows in
-- place; the maintenance job creates a partition per day ahead of time.

-- UUIDv7 ids begin with their creation time in milliseconds: this is the smallest id of `at`,
-- so a range of creation times is a range of ids (and of partitions).
CREATE FUNCTION conveyor_uuid_floor(at timestamptz) RETURNS uuid
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT (lpad(to_hex(floor(extract(epoch FROM at) * 1000)::bigint), 12, '0') || '00000000000000000000')::uuid $$;
--> statement-breakpoint
-- A unique index on a partitioned table must include its partition key, so live idempotency keys
-- get a table of their own; `runs.idempotency_key` stays, for search.
CREATE TABLE "run_idempotency_keys" (
	"key" text PRIMARY KEY NOT NULL,
	"run_id" uuid NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
INSERT INTO run_idempotency_keys (key, run_id, expires_at)
SELECT idempotency_key, id, coalesce(idempotency_expires_at, 'infinity') FROM runs WHERE idempotency_key IS NOT NULL;
--> statement-breakpoint
DROP INDEX "runs_idempotency_key_idx";
--> statement-breakpoint
-- The statuses few runs are in, or stay in: indexed through this column, which keeps its value
-- (null) through a run's claim and its success, so those updates stay HOT (no index writes).
-- An index on status itself, or with status in its predicate, would cost every one of them.
ALTER TABLE "runs" ADD COLUMN "uncommon_status" text
GENERATED ALWAYS AS (CASE WHEN status IN ('waiting', 'failed', 'cancelled') THEN status END) STORED;
--> statement-breakpoint
ALTER TABLE "runs" RENAME TO "runs_initial";
--> statement-breakpoint
ALTER INDEX "runs_pkey" RENAME TO "runs_initial_pkey";
--> statement-breakpoint
ALTER INDEX "runs_task_id_idx" RENAME TO "runs_initial_task_id_idx";
--> statement-breakpoint
ALTER INDEX "runs_flow_id_idx" RENAME TO "runs_initial_flow_id_idx";
--> statement-breakpoint
CREATE TABLE "runs" (LIKE "runs_initial" INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED, PRIMARY KEY ("id"))
PARTITION BY RANGE ("id");
--> statement-breakpoint
-- Everything created before tomorrow (UTC) stays where it is; later days get partitions of their own.
ALTER TABLE "runs" ATTACH PARTITION "runs_initial"
FOR VALUES FROM (MINVALUE) TO (conveyor_uuid_floor(date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' + interval '1 day'));
--> statement-breakpoint
-- Only ids past every partition land here (the maintenance job had not run for days).
CREATE TABLE "runs_default" PARTITION OF "runs" DEFAULT WITH (fillfactor = 70);
--> statement-breakpoint
CREATE INDEX "runs_task_id_idx" ON "runs" USING btree ("task","id");
--> statement-breakpoint
CREATE INDEX "runs_flow_id_idx" ON "runs" USING btree ("flow_id") WHERE "flow_id" IS NOT NULL;
--> statement-breakpoint
CREATE INDEX "runs_uncommon_status_id_idx" ON "runs" USING btree ("uncommon_status","id") WHERE "uncommon_status" IS NOT NULL;
--> statement-breakpoint
CREATE INDEX "runs_queue_id_idx" ON "runs" USING btree ("queue","id") WHERE "queue" IS NOT NULL;
--> statement-breakpoint
CREATE INDEX "runs_schedule_id_id_idx" ON "runs" USING btree ("schedule_id","id") WHERE "schedule_id" IS NOT NULL;
--> statement-breakpoint
CREATE INDEX "runs_idempotency_key_idx" ON "runs" USING btree ("idempotency_key") WHERE "idempotency_key" IS NOT NULL;
--> statement-breakpoint
ALTER TABLE "events" RENAME TO "events_initial";
--> statement-breakpoint
ALTER INDEX "events_pkey" RENAME TO "events_initial_pkey";
--> statement-breakpoint
ALTER INDEX "events_run_id_id_idx" RENAME TO "events_initial_run_id_id_idx";
--> statement-breakpoint
ALTER INDEX "events_flow_id_id_idx" RENAME TO "events_initial_flow_id_id_idx";
--> statement-breakpoint
DROP INDEX "events_created_at_idx";
--> statement-breakpoint
CREATE TABLE "events" (LIKE "events_initial" INCLUDING DEFAULTS INCLUDING CONSTRAINTS, PRIMARY KEY ("id", "created_at"))
PARTITION BY RANGE ("created_at");
--> statement-breakpoint
-- The id sequence must outlive the first partition, which retention drops one day.
ALTER SEQUENCE "events_id_seq" OWNED BY "events"."id";
--> statement-breakpoint
ALTER TABLE "events_initial" DROP CONSTRAINT "events_initial_pkey";
--> statement-breakpoint
ALTER TABLE "events" ATTACH PARTITION "events_initial"
FOR VALUES FROM (MINVALUE) TO (date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' + interval '1 day');
--> statement-breakpoint
CREATE TABLE "events_default" PARTITION OF "events" DEFAULT;
--> statement-breakpoint
CREATE INDEX "events_run_id_id_idx" ON "events" USING btree ("run_id","id");
--> statement-breakpoint
CREATE INDEX "events_flow_id_id_idx" ON "events" USING btree ("flow_id","id") WHERE "flow_id" IS NOT NULL;
--> statement-breakpoint
-- Runs finished per minute, task, final status and duration bucket: what the overview reads
-- instead of scanning runs. Every statement that finishes or reopens runs adds to it
-- (server/src/runs/sql/rollUpRuns.ts), in the same transaction.
CREATE TABLE "run_rollups" (
	"minute" timestamp with time zone NOT NULL,
	"task" text NOT NULL,
	"status" text NOT NULL,
	"duration_bucket" smallint NOT NULL,
	"runs" bigint NOT NULL,
	CONSTRAINT "run_rollups_pk" PRIMARY KEY ("minute", "task", "status", "duration_bucket")
);
--> statement-breakpoint
-- Bucket 0: under 1 ms (or never started); bucket b ≥ 1: [2^((b-1)/4), 2^(b/4)) ms, so a
-- percentile read from buckets is within 19 % of the exact one. Mirrored in overview.ts.
CREATE FUNCTION conveyor_duration_bucket(started timestamptz, finished timestamptz) RETURNS smallint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT CASE
    WHEN started IS NULL OR finished IS NULL OR finished - started < interval '1 millisecond' THEN 0
    ELSE least(127, 1 + floor(4 * ln(extract(epoch FROM finished - started) * 1000) / ln(2)))
  END::smallint
$$;
--> statement-breakpoint
-- Adds runs that finished (sign 1) or were reopened (sign -1) to the rollups. A function, so
-- its statement is planned once per connection instead of inside every statement that
-- finishes runs.
CREATE FUNCTION conveyor_roll_up_runs(tasks text[], statuses text[], started timestamptz[], finished timestamptz[], sign int)
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
  INSERT INTO run_rollups (minute, task, status, duration_bucket, runs)
  SELECT date_trunc('minute', f.finished_at), f.task, f.status, conveyor_duration_bucket(f.started_at, f.finished_at),
    sign * count(*)
  FROM unnest(tasks, statuses, started, finished) AS f(task, status, started_at, finished_at)
  WHERE f.finished_at IS NOT NULL AND f.status IN ('succeeded', 'failed', 'cancelled')
  GROUP BY 1, 2, 3, 4
  -- One order for every writer, so concurrent finishes cannot deadlock on the same rows.
  ORDER BY 1, 2, 3, 4
  ON CONFLICT (minute, task, status, duration_bucket) DO UPDATE SET runs = run_rollups.runs + excluded.runs;
END
$$;
--> statement-breakpoint
INSERT INTO run_rollups (minute, task, status, duration_bucket, runs)
SELECT date_trunc('minute', finished_at), task, status, conveyor_duration_bucket(started_at, finished_at), count(*)
FROM runs
WHERE finished_at IS NOT NULL AND status IN ('succeeded', 'failed', 'cancelled')
GROUP BY 1, 2, 3, 4;
