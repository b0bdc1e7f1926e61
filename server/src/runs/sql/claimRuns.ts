import { sql } from "drizzle-orm";
import type { Executor } from "../../db/client.js";
import { commitWithoutFlushWait } from "./commitWithoutFlushWait.js";
import { notifyEvents } from "./notifyEvents.js";
import { uuidArray } from "./uuidArray.js";

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
 * Marks a batch of runs `running` under `workerId` (this process's one id) and records their
 * `run.started` events in one statement. A run that is already `running` was claimed by a worker
 * that died: it is claimed again, as a new attempt. Terminal or cancelled runs, and retries whose backoff is not over (a stale job
 * of a crashed attempt), are not claimed: their job is simply dropped.
 */
export async function claimRuns(db: Executor, workerId: string, runIds: readonly string[]): Promise<ClaimedRun[]> {
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
        worker_id = ${workerId},
        updated_at = now()
      where r.id = any(${uuidArray(runIds)}::uuid[])
        and r.status in ('queued', 'scheduled', 'retrying', 'running')
        and (r.status <> 'retrying' or r.next_attempt_at <= now())
      returning r.id, r.task, r.input, r.attempts, r.max_attempts, r.timeout_ms, r.flow_id, r.worker_id
    ), started as (
      insert into events (run_id, flow_id, type, payload)
      select id, flow_id, 'run.started', jsonb_build_object('attempt', attempts, 'workerId', worker_id)
      from claimed
      returning id
    )
    select id, task, input, attempts, max_attempts, timeout_ms, flow_id, ${commitWithoutFlushWait},
      ${notifyEvents("started")}
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
