import type { RunError, RunProgress } from "@conveyor/shared";
import { type SQL, sql } from "drizzle-orm";
import { uuidArray } from "../../db/uuidArray.js";
import { endJobsCtes, type HeldJob } from "../../jobs/jobLocks.js";
import type { Waitpoint } from "../../steps/waitpoint.js";
import {
  heldByAttempt,
  RunTransition,
  statusGroups,
  statusIn,
  transitionColumns,
} from "../../transitions/runTransition.js";
import { isClaimable } from "./claimRuns.js";

/** How one attempt ended, as the worker reports it. */
export type AttemptOutcome =
  | { kind: "succeeded"; output: unknown }
  | { kind: "retry"; error: RunError; delayMs: number }
  | { kind: "failed"; error: RunError }
  /** Interrupted by a worker shutdown: back to the queue, the attempt not counted. */
  | { kind: "requeue" }
  /**
   * The task sleeps or waits (`ctx.sleep`, `ctx.waitForEvent`): the run is `waiting` without its
   * attempt counted, its job due at `until` (sooner if the wait is completed meanwhile).
   */
  | { kind: "suspend"; until: Date; waitpoint: Waitpoint }
  /** It may not start yet (a per-key rate limit): `scheduled` at `until`, the attempt not counted. */
  | { kind: "defer"; until: Date; reason: string };

export interface Completion {
  runId: string;
  /** The run's flow, if any: its dependents and counters move in the same transaction. */
  flowId: string | null;
  attempt: number;
  outcome: AttemptOutcome;
  /** The last progress the task reported, if any, so the final value is never lost to coalescing. */
  progress: RunProgress | null;
  /**
   * The attempt's claim travels with its outcome (an attempt started from its job that ended before
   * its claim was sent): one update takes the run from waiting to its outcome, with both events.
   */
  claims: boolean;
  /** When the attempt's code started, by the worker's clock: the run's start when the claim travels with it. */
  startedAt: Date;
  /** The graphile-worker job that delivered the attempt: ended in the same statement if the run finishes. */
  job: HeldJob | null;
}

export interface CompletedRun {
  id: string;
  flowId: string | null;
  task: string;
  status: "succeeded" | "retrying" | "failed" | "queued" | "waiting" | "scheduled";
  queue: string | null;
  priority: number;
  nextAttemptAt: Date | null;
}

/**
 * Recording outcomes: each run's event (`run.<its new status>`, or `run.requeued`), after its
 * `run.started` when the claim travels with it; the job of each run that goes on (a retry at its
 * next attempt time, a requeue at once, a suspension at its wake-up, a deferral at its new time);
 * and the finished ones counted into the overview.
 */
export function outcomeTransition(workerId: string): RunTransition {
  return new RunTransition({
    changed: "updated",
    eventBefore: {
      type: sql`'run.started'`,
      payload: sql`jsonb_build_object('attempt', attempt, 'workerId', ${workerId}::text)`,
      where: sql`claims`,
    },
    event: {
      type: sql`case when kind = 'requeue' then 'run.requeued' else 'run.' || status end`,
      payload: sql`case kind
          when 'succeeded' then jsonb_build_object('attempt', attempt,
            'durationMs', round(extract(epoch from finished_at - started_at) * 1000))
          when 'retry' then jsonb_build_object('attempt', attempt, 'error', error, 'nextAttemptAt', next_attempt_at)
          when 'failed' then jsonb_build_object('attempt', attempt, 'error', error)
          when 'suspend' then jsonb_build_object('attempt', attempt, 'until', next_attempt_at) || detail
          when 'defer' then jsonb_build_object('runAt', run_at) || detail
          else jsonb_build_object('attempt', attempt, 'reason', 'worker shutdown')
        end`,
    },
    jobs: {
      runAt: sql`case when status = 'scheduled' then run_at else next_attempt_at end`,
      where: statusIn("status", statusGroups.continuing),
    },
    rollUp: { sign: 1 },
  });
}

/**
 * The CTEs `c` (the outcomes), `updated` (runs whose attempt outcome was recorded), those of
 * `outcomeTransition` and those that end the jobs of the runs that finished. Only the attempt
 * that holds the run may finish it: a late result of an abandoned or cancelled attempt changes
 * nothing. An outcome whose claim travels with it needs the run claimable, as a claim does.
 */
export function recordOutcomesCtes(workerId: string, completions: readonly Completion[]): SQL {
  const rows = completions.map(({ runId, attempt, outcome, progress, claims, startedAt, job }) => ({
    run_id: runId,
    attempt,
    kind: outcome.kind,
    output: outcome.kind === "succeeded" ? (outcome.output ?? null) : null,
    error: outcome.kind === "retry" || outcome.kind === "failed" ? outcome.error : null,
    delay_ms: outcome.kind === "retry" ? outcome.delayMs : null,
    until: outcome.kind === "suspend" || outcome.kind === "defer" ? outcome.until.toISOString() : null,
    detail:
      outcome.kind === "suspend" ? outcome.waitpoint : outcome.kind === "defer" ? { reason: outcome.reason } : null,
    progress,
    claims,
    started_at: startedAt.toISOString(),
    job_id: job?.id ?? null,
    locked_by: job?.lockedBy ?? null,
  }));
  return sql`c as (
      select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as c(
        run_id uuid, attempt int, kind text, output jsonb, error jsonb, delay_ms int, until timestamptz,
        detail jsonb, progress jsonb, claims boolean, started_at timestamptz, job_id bigint, locked_by text)
    ), updated as (
      update runs r set
        status = case c.kind
          when 'succeeded' then 'succeeded' when 'retry' then 'retrying'
          when 'failed' then 'failed' when 'suspend' then 'waiting' when 'defer' then 'scheduled'
          else 'queued' end,
        output = case when c.kind = 'succeeded' then c.output else r.output end,
        error = case when c.kind in ('retry', 'failed') then c.error
          when c.kind = 'succeeded' then null else r.error end,
        progress = coalesce(c.progress, r.progress),
        attempts = r.attempts + case when c.claims then 1 else 0 end
          - case when c.kind in ('requeue', 'suspend', 'defer') then 1 else 0 end,
        -- Never after the outcome: the worker's clock may run ahead of the database's.
        started_at = case when c.claims then least(coalesce(r.started_at, c.started_at), now()) else r.started_at end,
        -- A running run's next_attempt_at is set only by a wake-up (a wait completed while this
        -- attempt ran, see wakeRuns): a suspension then resumes at once instead of at its deadline.
        next_attempt_at = case when c.kind = 'retry' then now() + c.delay_ms * interval '1 millisecond'
          when c.kind = 'suspend' and c.claims then c.until
          when c.kind = 'suspend' then least(coalesce(r.next_attempt_at, c.until), c.until) end,
        run_at = case when c.kind = 'defer' then c.until else r.run_at end,
        finished_at = case when c.kind in ('succeeded', 'failed') then now() end,
        worker_id = case when c.kind in ('requeue', 'suspend', 'defer') then null
          when c.claims then ${workerId} else r.worker_id end,
        updated_at = now()
      from c
      where r.id = any(${uuidArray(completions.map((completion) => completion.runId))}::uuid[])
        and r.id = c.run_id
        and case when c.claims then ${isClaimable} and r.attempts + 1 = c.attempt
          else ${heldByAttempt("r", sql`c.attempt`)} end
      returning ${transitionColumns("r")}, r.status, r.next_attempt_at, r.error, r.started_at, r.finished_at,
        r.worker_id, c.kind, c.attempt, c.detail, c.claims, c.job_id, c.locked_by
    ), ${outcomeTransition(workerId).ctes}, ${endJobsCtes(sql`select job_id, locked_by from updated
      where ${statusIn("status", statusGroups.finished)} and job_id is not null`)}`;
}

/** The runs that changed as a JSON array, for a statement's select list. */
export const completedRunsJson = sql`(select coalesce(json_agg(json_build_object(
      'id', id, 'flowId', flow_id, 'task', task, 'status', status, 'queue', queue, 'priority', priority,
      'nextAttemptAt', next_attempt_at)), '[]') from updated)`;

export type CompletedRunJson = Omit<CompletedRun, "nextAttemptAt"> & { nextAttemptAt: string | null };

export function toCompletedRuns(rows: readonly CompletedRunJson[]): CompletedRun[] {
  return rows.map((row) => ({
    ...row,
    nextAttemptAt: row.nextAttemptAt === null ? null : new Date(row.nextAttemptAt),
  }));
}
