import { sql } from "drizzle-orm";
import type { Executor } from "../../db/client.js";
import { runIdsWithJobs } from "../../jobs/runJobs.js";
import { statusGroups, statusIn } from "../../transitions/runTransition.js";

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
      count(*) filter (where ${statusIn("r.status", statusGroups.pending)})::int as queued,
      count(*) filter (where r.status = 'running')::int as running
    from runs r
    where r.id in (${runIdsWithJobs(task)})
      and r.concurrency_key is not null and ${statusIn("r.status", statusGroups.active)}
    group by r.concurrency_key
    order by queued desc, running desc, key
    limit ${limit}`);
  return result.rows;
}
