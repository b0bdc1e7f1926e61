import type { RunStatus } from "@conveyor/shared";
import { eventsChannel } from "@conveyor/shared";
import { sql } from "drizzle-orm";
import type { Executor } from "../../db/client.js";

export interface NewRun {
  id: string;
  task: string;
  status: Extract<RunStatus, "queued" | "scheduled" | "waiting">;
  input: unknown;
  maxAttempts: number;
  timeoutMs: number;
  queue: string | null;
  priority: number;
  runAt: Date;
  flowId: string | null;
  idempotencyKey: string | null;
}

/**
 * Inserts runs, their first events and the announcement in one statement, so a batch of
 * thousands costs one round trip. Jobs are added separately (`addRunJobs`) in the same transaction.
 */
export async function insertRuns(db: Executor, runs: readonly NewRun[]): Promise<void> {
  const rows = runs.map((run) => ({
    id: run.id,
    task: run.task,
    status: run.status,
    input: run.input,
    max_attempts: run.maxAttempts,
    timeout_ms: run.timeoutMs,
    queue: run.queue,
    priority: run.priority,
    run_at: run.runAt.toISOString(),
    flow_id: run.flowId,
    idempotency_key: run.idempotencyKey,
  }));
  await db.execute(sql`
    with new_runs as (
      insert into runs (id, task, status, input, max_attempts, timeout_ms, queue, priority, run_at, flow_id, idempotency_key)
      select id, task, status, input, max_attempts, timeout_ms, queue, priority, run_at, flow_id, idempotency_key
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r(
        id uuid, task text, status text, input jsonb, max_attempts int, timeout_ms int,
        queue text, priority int, run_at timestamptz, flow_id uuid, idempotency_key text)
      returning id, flow_id, status, task, run_at
    ), new_events as (
      insert into events (run_id, flow_id, type, payload)
      select id, flow_id, 'run.' || status, jsonb_build_object('task', task, 'runAt', run_at)
      from new_runs
      returning id
    )
    select pg_notify(${eventsChannel}, max(id)::text) from new_events`);
}
