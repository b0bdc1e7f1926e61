import { type SQL, sql } from "drizzle-orm";
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
  /** Milliseconds from when the run was due to this claim. */
  waitMs: number;
  /** The W3C traceparent its enqueue stored: the attempt's span joins that trace. */
  traceContext: string | null;
}

/**
 * The CTEs `claimed` (runs marked `running` under `workerId`, this process's one id) and `started`
 * (their `run.started` events). A run that is already `running` was claimed by a worker that
 * died: it is claimed again, as a new attempt. A suspended (`waiting`) run is claimed once its
 * wake-up time comes. Terminal or cancelled runs, and retries whose backoff is not over (a stale
 * job of a crashed attempt), are not claimed: their job is simply dropped.
 */
export function claimCtes(workerId: string, runIds: readonly string[]): SQL {
  return sql`claimed as (
      update runs r set
        status = 'running',
        attempts = r.attempts + 1,
        started_at = coalesce(r.started_at, now()),
        next_attempt_at = null,
        worker_id = ${workerId},
        updated_at = now()
      where r.id = any(${uuidArray(runIds)}::uuid[])
        and r.status in ('queued', 'scheduled', 'retrying', 'running', 'waiting')
        -- A suspended run is due at its wake-up or wait deadline; one waiting on its flow has none.
        and (r.status not in ('retrying', 'waiting') or r.next_attempt_at <= now())
      returning r.id, r.task, r.input, r.attempts, r.max_attempts, r.timeout_ms, r.flow_id, r.worker_id, r.run_at, r.trace_context
    ), started as (
      insert into events (run_id, flow_id, type, payload)
      select id, flow_id, 'run.started', jsonb_build_object('attempt', attempts, 'workerId', worker_id)
      from claimed
      returning id
    )`;
}

/** The claimed runs as a JSON array, for a statement's select list. */
export const claimedRunsJson = sql`(select coalesce(json_agg(json_build_object(
      'id', id, 'task', task, 'input', input, 'attempt', attempts, 'maxAttempts', max_attempts,
      'timeoutMs', timeout_ms, 'flowId', flow_id,
      'waitMs', greatest(0, round(extract(epoch from now() - run_at) * 1000)),
      'traceContext', trace_context)), '[]') from claimed)`;
