import { sql } from "drizzle-orm";
import type { Executor } from "../../db/client.js";
import { runJobKeyPrefix } from "../../jobs/runJobs.js";

export type KeyLoad = {
  key: string;
  /** Queued, scheduled or retrying runs of the key. */
  queued: number;
  running: number;
};

/** The keys of a task limited per key with the most runs waiting, found through the jobs table. */
export async function readKeyLoad(db: Executor, task: string, limit: number): Promise<KeyLoad[]> {
  // From the task's jobs to their runs by primary key: only the task's live runs are read.
  const result = await db.execute<KeyLoad>(sql`
    select r.concurrency_key as key,
      count(*) filter (where r.status in ('queued', 'retrying', 'scheduled'))::int as queued,
      count(*) filter (where r.status = 'running')::int as running
    from graphile_worker._private_jobs j
    join runs r on r.id = substr(j.key, ${runJobKeyPrefix.length + 1})::uuid
    where j.task_id = (select id from graphile_worker._private_tasks where identifier = ${task})
      and j.key like ${`${runJobKeyPrefix}%`}
      and r.concurrency_key is not null and r.status in ('queued', 'retrying', 'scheduled', 'running')
    group by r.concurrency_key
    order by queued desc, running desc, key
    limit ${limit}`);
  return result.rows;
}
