import { eventsChannel } from "@conveyor/shared";
import { sql } from "drizzle-orm";
import type { Executor } from "../../db/client.js";
import { uuidArray } from "./uuidArray.js";

export interface ClaimRequest {
  runId: string;
  workerId: string;
}

export interface ClaimedRun {
  id: string;
  task: string;
  input: unknown;
  /** This attempt's number, 1-based. */
  attempt: number;
  maxAttempts: number;
  timeoutMs: number;
  flowId: string | null;
}

/**
 * Marks a batch of runs `running` and records their `run.started` events in one statement.
 * A run that is already `running` was claimed by a worker that died: it is claimed again, as a
 * new attempt. Terminal or cancelled runs, and retries whose backoff is not over (a stale job
 * of a crashed attempt), are not claimed: their job is simply dropped.
 */
export async function claimRuns(db: Executor, requests: readonly ClaimRequest[]): Promise<ClaimedRun[]> {
  const rows = requests.map((request) => ({ run_id: request.runId, worker_id: request.workerId }));
  const result = await db.execute<{
    id: string;
    task: string;
    input: unknown;
    attempts: number;
    max_attempts: number;
    timeout_ms: number;
    flow_id: string | null;
  }>(sql`
    with claimed as (
      update runs r set
        status = 'running',
        attempts = r.attempts + 1,
        started_at = coalesce(r.started_at, now()),
        next_attempt_at = null,
        worker_id = c.worker_id,
        updated_at = now()
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as c(run_id uuid, worker_id text)
      where r.id = any(${uuidArray(requests.map((request) => request.runId))}::uuid[])
        and r.id = c.run_id
        and r.status in ('queued', 'scheduled', 'retrying', 'running')
        and (r.status <> 'retrying' or r.next_attempt_at <= now())
      returning r.id, r.task, r.input, r.attempts, r.max_attempts, r.timeout_ms, r.flow_id, r.worker_id
    ), started as (
      insert into events (run_id, flow_id, type, payload)
      select id, flow_id, 'run.started', jsonb_build_object('attempt', attempts, 'workerId', worker_id)
      from claimed
      returning id
    )
    select id, task, input, attempts, max_attempts, timeout_ms, flow_id,
      -- No WAL flush wait: graphile-worker's commit that deletes this job comes later and flushes
      -- the WAL past this record, so the job never moves on before this state is durable.
      (select set_config('synchronous_commit', 'off', true)) as async_commit,
      (select pg_notify(${eventsChannel}, max(id)::text) from started) as notified
    from claimed`);
  return result.rows.map((row) => ({
    id: row.id,
    task: row.task,
    input: row.input,
    attempt: row.attempts,
    maxAttempts: row.max_attempts,
    timeoutMs: row.timeout_ms,
    flowId: row.flow_id,
  }));
}
