import { sql } from "drizzle-orm";
import type { Executor } from "../../db/client.js";
import { runIdsWithJobs } from "../../runs/sql/addRunJobs.js";

export type KeyLoad = {
  key: string;
  /** Queued, scheduled or retrying runs of the key. */
  queued: number;
  running: number;
};

/** The keys of a task limited per key with the most runs waiting, found through the jobs table. */
export async function readKeyLoad(db: Executor, task: string, limit: number): Promise<KeyLoad[]> {
  const result = await db.execute<KeyLoad>(sql`
    select r.concurrency_key as key,
      count(*) filter (where r.status in ('queued', 'retrying', 'scheduled'))::int as queued,
      count(*) filter (where r.status = 'running')::int as running
    from runs r
    where r.id in (${runIdsWithJobs}) and r.task = ${task} and r.concurrency_key is not null
      and r.status in ('queued', 'retrying', 'scheduled', 'running')
    group by r.concurrency_key
    order by queued desc, running desc, key
    limit ${limit}`);
  return result.rows;
}
