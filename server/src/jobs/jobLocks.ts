import { type SQL, sql } from "drizzle-orm";

/**
 * The CTEs `unlocked_jobs` and `unlocked_queues` that release graphile-worker's locks on jobs and
 * job queues matching `isReleased` (over the private tables' `locked_by` and `locked_at`), so
 * another worker may take them at once; graphile-worker alone waits four hours. Data-modifying
 * CTEs run to completion whether the statement reads them or not. What these rely on is checked
 * in tests/graphileWorkerContract.int.test.ts.
 */
export function unlockJobsCtes(isReleased: SQL): SQL {
  return sql`unlocked_jobs as (
      update graphile_worker._private_jobs set locked_at = null, locked_by = null
      where ${isReleased}
      returning id
    ), unlocked_queues as (
      update graphile_worker._private_job_queues set locked_at = null, locked_by = null
      where ${isReleased}
      returning id
    )`;
}
