import { type SQL, sql } from "drizzle-orm";
import { uuidArray } from "../../db/uuidArray.js";
import { RunTransition, statusGroups, statusIn } from "../../transitions/runTransition.js";

/** A claim of a run for a new attempt. */
export interface Claim {
  runId: string;
  /**
   * For an attempt already started from its job (optimistic start): the attempt number it runs
   * as. The claim is refused unless it would give that number. null: claimed before starting.
   */
  attempt: number | null;
}

export interface ClaimedRun {
  id: string;
  task: string;
  /** null for a claim of an attempt already started, which has its input. */
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
 * A run that has yet to start whose task or queue is paused: the pauses table, not a worker's
 * copy of it, has the last word (a worker may fetch a job before it hears of the pause).
 */
const isHeldByPause = sql`${statusIn("r.status", statusGroups.pending)} and exists (
  select 1 from pauses p where (p.kind = 'task' and p.name = r.task) or (p.kind = 'queue' and p.name = r.queue))`;

/**
 * The run (alias `r`) may start an attempt now: claimable, due (a suspended run at its wake-up or
 * wait deadline; one waiting on its flow has none), and not held by a pause.
 */
export const isClaimable = sql`${statusIn("r.status", statusGroups.claimable)}
  and (r.status not in ('retrying', 'waiting') or r.next_attempt_at <= now())
  and not (${isHeldByPause})`;

/** A claim: the claimed runs' `run.started` events. */
export const claimTransition = new RunTransition({
  changed: "claimed",
  event: { type: sql`'run.started'`, payload: sql`jsonb_build_object('attempt', attempts, 'workerId', worker_id)` },
});

/**
 * The CTEs `held` (runs not claimed because their task or queue is paused), `claimed` (runs marked
 * `running` under `workerId`, this process's one id) and those of `claimTransition`. A run that is
 * already `running` was claimed by a worker that died: it is claimed again, as a new attempt. A
 * suspended (`waiting`) run is claimed once its wake-up time comes. Terminal or cancelled runs,
 * and retries whose backoff is not over (a stale job of a crashed attempt), are not claimed:
 * their job is simply dropped.
 */
export function claimRunsCtes(workerId: string, claims: readonly Claim[]): SQL {
  const rows = claims.map((claim) => ({ run_id: claim.runId, attempt: claim.attempt }));
  const ids = uuidArray(claims.map((claim) => claim.runId));
  return sql`k as (
      select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as k(run_id uuid, attempt int)
    ), held as (
      select r.id from runs r where r.id = any(${ids}::uuid[]) and ${isHeldByPause}
    ), claimed as (
      update runs r set
        status = 'running',
        attempts = r.attempts + 1,
        started_at = coalesce(r.started_at, now()),
        next_attempt_at = null,
        worker_id = ${workerId},
        updated_at = now()
      from k
      where r.id = any(${ids}::uuid[]) and r.id = k.run_id
        and ${isClaimable}
        and (k.attempt is null or r.attempts + 1 = k.attempt)
      returning r.id, r.task, case when k.attempt is null then r.input end as input, r.attempts, r.max_attempts,
        r.timeout_ms, r.flow_id, r.worker_id, r.run_at, r.trace_context
    ), ${claimTransition.ctes}`;
}

/** The ids of the held runs as a JSON array, for a statement's select list. */
export const heldRunIdsJson = sql`(select coalesce(json_agg(id), '[]') from held)`;

/** The claimed runs as a JSON array, for a statement's select list. */
export const claimedRunsJson = sql`(select coalesce(json_agg(json_build_object(
      'id', id, 'task', task, 'input', input, 'attempt', attempts, 'maxAttempts', max_attempts,
      'timeoutMs', timeout_ms, 'flowId', flow_id,
      'waitMs', greatest(0, round(extract(epoch from now() - run_at) * 1000)),
      'traceContext', trace_context)), '[]') from claimed)`;
