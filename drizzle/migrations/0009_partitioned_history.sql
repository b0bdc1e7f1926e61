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
ALTER TABLE "runs" RENAME TO "runs_initial";
--> statement-breakpoint
ALTER INDEX "runs_pkey" RENAME TO "runs_initial_pkey";
--> statement-breakpoint
ALTER INDEX "runs_task_id_idx" RENAME TO "runs_initial_task_id_idx";
--> statement-breakpoint
ALTER INDEX "runs_flow_id_idx" RENAME TO "runs_initial_flow_id_idx";
--> statement-breakpoint
CREATE TABLE "runs" (LIKE "runs_initial" INCLUDING DEFAULTS INCLUDING CONSTRAINTS, PRIMARY KEY ("id"))
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
CREATE INDEX "runs_status_id_idx" ON "runs" USING btree ("status","id");
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
-- instead of scanning runs. Kept by a trigger, so every way a run finishes (or is reopened)
-- counts, in the transaction that does it.
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
CREATE FUNCTION conveyor_roll_up_runs() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  -- Most updates (claims, progress) neither finish nor reopen a run: skip the upsert for them.
  IF NOT EXISTS (SELECT 1 FROM rollup_new WHERE finished_at IS NOT NULL)
    AND NOT EXISTS (SELECT 1 FROM rollup_old WHERE finished_at IS NOT NULL) THEN
    RETURN NULL;
  END IF;
  INSERT INTO run_rollups (minute, task, status, duration_bucket, runs)
  SELECT minute, task, status, duration_bucket, sum(delta)
  FROM (
    SELECT date_trunc('minute', n.finished_at) AS minute, n.task, n.status,
      conveyor_duration_bucket(n.started_at, n.finished_at) AS duration_bucket, 1 AS delta
    FROM rollup_new n JOIN rollup_old o ON o.id = n.id
    WHERE n.finished_at IS NOT NULL AND n.status IN ('succeeded', 'failed', 'cancelled')
      AND (o.status, o.started_at, o.finished_at) IS DISTINCT FROM (n.status, n.started_at, n.finished_at)
    UNION ALL
    SELECT date_trunc('minute', o.finished_at), o.task, o.status,
      conveyor_duration_bucket(o.started_at, o.finished_at), -1
    FROM rollup_new n JOIN rollup_old o ON o.id = n.id
    WHERE o.finished_at IS NOT NULL AND o.status IN ('succeeded', 'failed', 'cancelled')
      AND (o.status, o.started_at, o.finished_at) IS DISTINCT FROM (n.status, n.started_at, n.finished_at)
  ) AS changes
  GROUP BY minute, task, status, duration_bucket
  HAVING sum(delta) <> 0
  -- One order for every writer, so concurrent finishes cannot deadlock on the same rows.
  ORDER BY minute, task, status, duration_bucket
  ON CONFLICT (minute, task, status, duration_bucket) DO UPDATE SET runs = run_rollups.runs + excluded.runs;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "runs_roll_up" AFTER UPDATE ON "runs"
REFERENCING OLD TABLE AS rollup_old NEW TABLE AS rollup_new
FOR EACH STATEMENT EXECUTE FUNCTION conveyor_roll_up_runs();
--> statement-breakpoint
INSERT INTO run_rollups (minute, task, status, duration_bucket, runs)
SELECT date_trunc('minute', finished_at), task, status, conveyor_duration_bucket(started_at, finished_at), count(*)
FROM runs
WHERE finished_at IS NOT NULL AND status IN ('succeeded', 'failed', 'cancelled')
GROUP BY 1, 2, 3, 4;
