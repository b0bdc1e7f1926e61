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

/**
 * The `graphile_worker.job_spec` of the job of each run in `runs` (columns id, task, queue,
 * priority, run_at: null runs it at once, by the database's clock) — for statements that add the
 * jobs together with other writes.
 */
export function runJobSpecs(runs: SQL): SQL {
  return sql`array(
    select row(
      j.task, json_build_object('runId', j.id), j.queue, j.run_at, ${jobMaxAttempts}::int,
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
 * The ids of the runs that have a job: every run queued, scheduled, retrying or running, and no
 * other. The jobs table holds only live jobs, so this stays small however many runs there are.
 */
export const runIdsWithJobs = sql`select substr(key, ${runJobKeyPrefix.length + 1})::uuid
  from graphile_worker._private_jobs where key like ${`${runJobKeyPrefix}%`}`;

/** The ids of the runs of `task` that have a job (see `runIdsWithJobs`). */
export function runIdsWithJobsOfTask(task: string): SQL {
  return sql`select substr(key, ${runJobKeyPrefix.length + 1})::uuid
    from graphile_worker._private_jobs
    where task_id = (select id from graphile_worker._private_tasks where identifier = ${task})
      and key like ${`${runJobKeyPrefix}%`}`;
}

/** Removes the jobs of these runs; a locked job is left alone (graphile-worker's `remove_job`). */
export async function removeRunJobs(db: Executor, runIds: readonly string[]): Promise<void> {
  if (runIds.length === 0) return;
  await db.execute(
    sql`select graphile_worker.remove_job(key)
      from jsonb_array_elements_text(${JSON.stringify(runIds.map(runJobKey))}::jsonb) as key`,
  );
}

export interface RunJob {
  runId: string;
  task: string;
  queue: string | null;
  priority: number;
  runAt: Date | null;
}

/**
 * Adds (or replaces) the graphile-worker job of each run. A job still locked by the attempt that
 * is finishing keeps running but loses its key, so the new job is the only live one.
 */
export async function addRunJobs(db: Executor, jobs: readonly RunJob[]): Promise<void> {
  if (jobs.length === 0) return;
  const specs = jobs.map((job) => ({
    id: job.runId,
    task: job.task,
    queue: job.queue,
    priority: job.priority,
    run_at: job.runAt?.toISOString() ?? null,
  }));
  const runs = sql`jsonb_to_recordset(${JSON.stringify(specs)}::jsonb) as r(id uuid, task text, queue text, priority int, run_at timestamptz)`;
  await db.execute(sql`select count(*) from graphile_worker.add_jobs(${runJobSpecs(sql`(select * from ${runs})`)})`);
}
