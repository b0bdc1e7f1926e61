import { type SQL, sql } from "drizzle-orm";

/**
 * The CTEs `unlocked_jobs` and `unlocked_queues` that release graphile-worker's locks on jobs
 * matching `isReleased` and on job queues matching `isQueueReleased` (over the private tables'
 * `locked_by`, `locked_at` and `id`), so another worker may take them at once; graphile-worker
 * alone waits four hours. Data-modifying CTEs run to completion whether the statement reads them
 * or not. What these rely on is checked in tests/graphileWorkerContract.int.test.ts.
 */
export function unlockJobsCtes(isReleased: SQL, isQueueReleased: SQL = isReleased): SQL {
  return sql`unlocked_jobs as (
      update graphile_worker._private_jobs set locked_at = null, locked_by = null
      where ${isReleased}
      returning id
    ), unlocked_queues as (
      update graphile_worker._private_job_queues set locked_at = null, locked_by = null
      where ${isQueueReleased}
      returning id
    )`;
}

/**
 * The CTEs of `unlockJobsCtes` for what this worker holds under `lockIds` without working on it:
 * jobs locked longer ago than `olderThanMs` that are not in `inFlight` (the job ids its task
 * functions are running), and queue locks no job in flight needs. A lock can be taken without its
 * worker knowing: a fetch that committed on the server while its connection was cut (a backend
 * terminated while its commit waited for a synchronous standby reports an error for a transaction
 * that committed), after which graphile-worker fetched again. Such a job would stay locked for as
 * long as its worker beats.
 */
export function strayLocksCtes(lockIds: readonly string[], inFlight: readonly string[], olderThanMs: number): SQL {
  const heldLongByMe = sql`locked_by in (select jsonb_array_elements_text(${JSON.stringify(lockIds)}::jsonb))
    and locked_at < now() - ${olderThanMs}::int * interval '1 millisecond'`;
  const running = sql`(select jsonb_array_elements_text(${JSON.stringify(inFlight)}::jsonb)::bigint)`;
  return unlockJobsCtes(
    sql`${heldLongByMe} and id not in ${running}`,
    sql`${heldLongByMe} and id not in (select job_queue_id from graphile_worker._private_jobs
      where id in ${running} and job_queue_id is not null)`,
  );
}

/** A graphile-worker job as the worker that holds it knows it. */
export interface HeldJob {
  id: string;
  /** The lock id it holds the job under (graphile-worker's pool id). */
  lockedBy: string;
}

/**
 * The CTEs `ended_jobs` and `ended_queues` that end the jobs in `jobs` (columns job_id, locked_by)
 * still held under that lock, as graphile-worker's completion does: the job is deleted and its
 * named queue unlocked. graphile-worker's own completion afterwards deletes by id and finds
 * nothing, and unlocks a queue only through the job it deleted, so it changes nothing either.
 */
export function endJobsCtes(jobs: SQL): SQL {
  return sql`ended_jobs as (
      delete from graphile_worker._private_jobs j
      using (${jobs}) as e
      where j.id = e.job_id and j.locked_by = e.locked_by
      returning j.job_queue_id, j.locked_by
    ), ended_queues as (
      update graphile_worker._private_job_queues q set locked_at = null, locked_by = null
      from ended_jobs e
      where q.id = e.job_queue_id and q.locked_by = e.locked_by
      returning q.id
    )`;
}
