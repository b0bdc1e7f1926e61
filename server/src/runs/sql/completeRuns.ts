import type { RunError, RunProgress } from "@conveyor/shared";
import { type SQL, sql } from "drizzle-orm";
import { runJobSpecs } from "./addRunJobs.js";
import { rolledUp, rollUpCte } from "./rollUpRuns.js";
import { uuidArray } from "./uuidArray.js";

/** How one attempt ended, as the worker reports it. */
export type AttemptOutcome =
  | { kind: "succeeded"; output: unknown }
  | { kind: "retry"; error: RunError; delayMs: number }
  | { kind: "failed"; error: RunError }
  /** Interrupted by a worker shutdown: back to the queue, the attempt not counted. */
  | { kind: "requeue" };

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
  status: "succeeded" | "retrying" | "failed" | "queued";
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
    progress,
  }));
  return sql`c as (
      select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as c(
        run_id uuid, attempt int, kind text, output jsonb, error jsonb, delay_ms int, progress jsonb)
    ), updated as (
      update runs r set
        status = case c.kind
          when 'succeeded' then 'succeeded' when 'retry' then 'retrying'
          when 'failed' then 'failed' else 'queued' end,
        output = case when c.kind = 'succeeded' then c.output else r.output end,
        error = case when c.kind in ('retry', 'failed') then c.error
          when c.kind = 'succeeded' then null else r.error end,
        progress = coalesce(c.progress, r.progress),
        attempts = case when c.kind = 'requeue' then r.attempts - 1 else r.attempts end,
        next_attempt_at = case when c.kind = 'retry' then now() + c.delay_ms * interval '1 millisecond' end,
        finished_at = case when c.kind in ('succeeded', 'failed') then now() end,
        worker_id = case when c.kind = 'requeue' then null else r.worker_id end,
        updated_at = now()
      from c
      where r.id = any(${uuidArray(completions.map((completion) => completion.runId))}::uuid[])
        and r.id = c.run_id and r.status = 'running' and r.attempts = c.attempt
      returning r.id, r.flow_id, r.task, r.status, r.queue, r.priority, r.next_attempt_at, r.attempts, r.error,
        r.started_at, r.finished_at, c.kind, c.attempt
    ), ${rollUpCte("rolled_up", "updated", 1)}, recorded as (
      insert into events (run_id, flow_id, type, payload)
      select id, flow_id,
        case when kind = 'requeue' then 'run.requeued' else 'run.' || status end,
        case kind
          when 'succeeded' then jsonb_build_object('attempt', attempt,
            'durationMs', round(extract(epoch from finished_at - started_at) * 1000))
          when 'retry' then jsonb_build_object('attempt', attempt, 'error', error, 'nextAttemptAt', next_attempt_at)
          when 'failed' then jsonb_build_object('attempt', attempt, 'error', error)
          else jsonb_build_object('attempt', attempt, 'reason', 'worker shutdown')
        end
      from updated
      returning id
    ), jobs as (
      -- Most batches only finish runs: add_jobs is not called at all then, as even an empty call
      -- writes and announces a job insert that wakes every worker.
      select case when exists (select from updated where status in ('retrying', 'queued'))
        then (select count(*) from graphile_worker.add_jobs(${runJobSpecs(sql`(
          select id, task, queue, priority, next_attempt_at as run_at
          from updated where status in ('retrying', 'queued')
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
