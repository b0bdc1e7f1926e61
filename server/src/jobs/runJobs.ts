import { type SQL, sql } from "drizzle-orm";
import type { Executor } from "../db/client.js";

/*
 * A run's graphile-worker job: its key, its flags, its job_spec, and the reads of
 * graphile-worker's private jobs table. What these rely on in graphile-worker (pinned at 0.17.x)
 * is checked against it in tests/graphileWorkerContract.int.test.ts.
 */

/**
 * graphile-worker's own attempt limit. Conveyor counts attempts on the run and schedules its own
 * retries; this only bounds re-deliveries after crashes and infrastructure errors.
 */
const jobMaxAttempts = 25;

export const runJobKeyPrefix = "run:";

/**
 * Every run's job is flagged with its task and queue, so that a worker skips the jobs of a paused
 * task or queue (graphile-worker's `forbiddenFlags`) without touching them.
 */
const taskFlagPrefix = "task:";
const queueFlagPrefix = "queue:";

/** The job key of a run's single job, so the job can be found, replaced and removed by run id. */
export function runJobKey(runId: string): string {
  return `${runJobKeyPrefix}${runId}`;
}

/** What a job carries for its attempt to start before its claim (see `jobStart`). */
export interface JobStart {
  input: unknown;
  attempt: number;
  maxAttempts: number;
  timeoutMs: number;
  flowId: string | null;
  traceContext: string | null;
}

/** A run's job's payload, as `runJobSpecs` writes it. */
export interface RunJobPayload {
  runId: string;
  start?: JobStart;
}

/** Inputs up to this size travel in the job, so its attempt can start before its claim is recorded. */
export const maxCarriedInputBytes = 8_192;

/**
 * What a job carries for its attempt to start at once (optimistic start): the run's input and
 * settings as they stand when the job is added, over a row of the runs table's columns (input,
 * attempts, max_attempts, timeout_ms, flow_id, trace_context); when the run was due is the job's
 * own run_at. `attempt` is the number the
 * next claim will give; a claim that would give another (the run was requeued by a reaper since)
 * refuses the start. A larger input leaves the job without one: its run is claimed first.
 */
export const jobStart = sql`case when pg_column_size(input) <= ${maxCarriedInputBytes} then json_build_object(
    'input', input, 'attempt', attempts + 1, 'maxAttempts', max_attempts, 'timeoutMs', timeout_ms,
    'flowId', flow_id, 'traceContext', trace_context) end`;

/**
 * The `graphile_worker.job_spec` of the job of each run in `runs` (columns id, task, queue,
 * priority, run_at: null runs it at once, by the database's clock; start: see `jobStart`, or null)
 * — for statements that add the jobs together with other writes.
 */
export function runJobSpecs(runs: SQL): SQL {
  return sql`array(
    select row(
      j.task, case when j.start is null then json_build_object('runId', j.id)
        else json_build_object('runId', j.id, 'start', j.start) end,
      j.queue, j.run_at, ${jobMaxAttempts}::int,
      ${runJobKeyPrefix} || j.id, j.priority,
      case when j.queue is null then array[${taskFlagPrefix} || j.task]
        else array[${taskFlagPrefix} || j.task, ${queueFlagPrefix} || j.queue] end
    )::graphile_worker.job_spec
    from ${runs} as j
  )`;
}

/**
 * A CTE named `name` that adds (or replaces) the job of each run in `runs` (as for `runJobSpecs`),
 * its one column `added` the number added. add_jobs is not called when `runs` is empty: even an
 * empty call writes and announces a job insert that wakes every worker. Like any CTE that only
 * selects, it runs only if the statement reads it.
 */
export function addRunJobsCte(name: string, runs: SQL): SQL {
  return sql`${sql.identifier(name)} as (
      select case when exists (select from ${runs} as j)
        then (select count(*) from graphile_worker.add_jobs(${runJobSpecs(runs)})) else 0 end as added
    )`;
}

/** The job flag that pausing `target` forbids. */
export function pauseFlag(target: { kind: "task" | "queue"; name: string }): string {
  return `${target.kind === "task" ? taskFlagPrefix : queueFlagPrefix}${target.name}`;
}

/**
 * The ids of the runs that have a job (of `task`, if given): every run queued, scheduled,
 * retrying or running, and no other. The jobs table holds only live jobs, so this stays small
 * however many runs there are.
 */
export function runIdsWithJobs(task?: string): SQL {
  const ofTask =
    task === undefined
      ? sql``
      : sql`task_id = (select id from graphile_worker._private_tasks where identifier = ${task}) and`;
  return sql`select substr(key, ${runJobKeyPrefix.length + 1})::uuid
    from graphile_worker._private_jobs where ${ofTask} key like ${`${runJobKeyPrefix}%`}`;
}

/**
 * True for a run (its id in column `runId`) that has no job. Every statement that leaves a run
 * pending or running gives it its job in the same transaction, so such a run lost its job to a
 * commit the database lost: an outcome that ended the job, then a failover to a replica that never
 * received it, while graphile-worker's own completion of the job reached the new primary.
 */
export function hasNoJob(runId: string): SQL {
  return sql`not exists (select from graphile_worker._private_jobs j where j.key = ${runJobKeyPrefix} || ${sql.raw(runId)})`;
}

/** Removes the jobs of these runs; a locked job is left alone (graphile-worker's `remove_job`). */
export async function removeRunJobs(db: Executor, runIds: readonly string[]): Promise<void> {
  if (runIds.length === 0) return;
  await db.execute(
    sql`select graphile_worker.remove_job(key)
      from jsonb_array_elements_text(${JSON.stringify(runIds.map(runJobKey))}::jsonb) as key`,
  );
}
