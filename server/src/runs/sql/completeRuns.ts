import type { RunError, RunProgress } from "@conveyor/shared";
import { type SQL, sql } from "drizzle-orm";
import { runJobSpecs } from "../../jobs/runJobs.js";
import { rolledUp, rollUpCte } from "./rollUpRuns.js";
import { uuidArray } from "./uuidArray.js";

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

/** What a suspended run waits for, as its `run.waiting` event tells it. */
export interface Waitpoint {
  step: string;
  kind: "sleep" | "wait";
  /** The event a wait is for. */
  event: string | null;
}

export interface Completion {
  runId: string;
  /** The run's flow, if any: its dependents and counters move in the same transaction. */
  flowId: string | null;
  attempt: number;
  outcome: AttemptOutcome;
  /** The last progress the task reported, if any, so the final value is never lost to coalescing. */
  progress: RunProgress | null;
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
 * The CTEs `updated` (runs whose attempt outcome was recorded), `rolled_up` (the overview's
 * counts of those that finished), `recorded` (their events) and
 * `jobs` (the jobs of runs that go on: a retry at its next attempt time, a requeue at once). Only
 * the attempt that holds the run may finish it (status `running`, same attempt number): a late
 * result of an abandoned or cancelled attempt changes nothing. `jobs` and `rolled_up` run only if
 * the statement's select list reads them (`jobsAdded`): a select is not a data-modifying CTE.
 */
export function completionCtes(completions: readonly Completion[]): SQL {
  const rows = completions.map(({ runId, attempt, outcome, progress }) => ({
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
  }));
  return sql`c as (
      select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as c(
        run_id uuid, attempt int, kind text, output jsonb, error jsonb, delay_ms int, until timestamptz,
        detail jsonb, progress jsonb)
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
        attempts = case when c.kind in ('requeue', 'suspend', 'defer') then r.attempts - 1 else r.attempts end,
        -- A running run's next_attempt_at is set only by a wake-up (a wait completed while this
        -- attempt ran, see wakeRuns): a suspension then resumes at once instead of at its deadline.
        next_attempt_at = case when c.kind = 'retry' then now() + c.delay_ms * interval '1 millisecond'
          when c.kind = 'suspend' then least(coalesce(r.next_attempt_at, c.until), c.until) end,
        run_at = case when c.kind = 'defer' then c.until else r.run_at end,
        finished_at = case when c.kind in ('succeeded', 'failed') then now() end,
        worker_id = case when c.kind in ('requeue', 'suspend', 'defer') then null else r.worker_id end,
        updated_at = now()
      from c
      where r.id = any(${uuidArray(completions.map((completion) => completion.runId))}::uuid[])
        and r.id = c.run_id and r.status = 'running' and r.attempts = c.attempt
      returning r.id, r.flow_id, r.task, r.status, r.queue, r.priority, r.next_attempt_at, r.run_at, r.attempts,
        r.error, r.started_at, r.finished_at, c.kind, c.attempt, c.detail
    ), ${rollUpCte("rolled_up", "updated", 1)}, recorded as (
      insert into events (run_id, flow_id, type, payload)
      select id, flow_id,
        case when kind = 'requeue' then 'run.requeued' else 'run.' || status end,
        case kind
          when 'succeeded' then jsonb_build_object('attempt', attempt,
            'durationMs', round(extract(epoch from finished_at - started_at) * 1000))
          when 'retry' then jsonb_build_object('attempt', attempt, 'error', error, 'nextAttemptAt', next_attempt_at)
          when 'failed' then jsonb_build_object('attempt', attempt, 'error', error)
          when 'suspend' then jsonb_build_object('attempt', attempt, 'until', next_attempt_at) || detail
          when 'defer' then jsonb_build_object('runAt', run_at) || detail
          else jsonb_build_object('attempt', attempt, 'reason', 'worker shutdown')
        end
      from updated
      returning id
    ), jobs as (
      -- Most batches only finish runs: add_jobs is not called at all then, as even an empty call
      -- writes and announces a job insert that wakes every worker.
      select case when exists (select from updated where status in ('retrying', 'queued', 'waiting', 'scheduled'))
        then (select count(*) from graphile_worker.add_jobs(${runJobSpecs(sql`(
          select id, task, queue, priority, case when status = 'scheduled' then run_at else next_attempt_at end as run_at
          from updated where status in ('retrying', 'queued', 'waiting', 'scheduled')
        )`)})) else 0 end as added
    )`;
}

/** The runs that changed as a JSON array, for a statement's select list. */
export const completedRunsJson = sql`(select coalesce(json_agg(json_build_object(
      'id', id, 'flowId', flow_id, 'task', task, 'status', status, 'queue', queue, 'priority', priority,
      'nextAttemptAt', next_attempt_at)), '[]') from updated)`;

/** The select-list items that make `jobs` and `rolled_up` run: every statement using `completionCtes` needs them. */
export const jobsAdded = sql`(select added from jobs) as jobs_added, ${rolledUp("rolled_up")}`;

export type CompletedRunJson = Omit<CompletedRun, "nextAttemptAt"> & { nextAttemptAt: string | null };

export function toCompletedRuns(rows: readonly CompletedRunJson[]): CompletedRun[] {
  return rows.map((row) => ({
    ...row,
    nextAttemptAt: row.nextAttemptAt === null ? null : new Date(row.nextAttemptAt),
  }));
}
