import { sql } from "drizzle-orm";
import type { Executor } from "../../db/client.js";
import { runIdsWithJobs } from "../../jobs/runJobs.js";
import { statusGroups, statusIn } from "../../transitions/runTransition.js";

export interface QueueDepth {
  /** null: runs enqueued without a named queue. */
  queue: string | null;
  /** Queued, scheduled or retrying. */
  queued: number;
  running: number;
  /** Seconds the longest-waiting queued run has been due; 0 when none waits. */
  oldestQueuedSeconds: number;
}

/**
 * Runs waiting to start or running, per queue. Every such run has a job, and the jobs table holds
 * only those, so the runs are looked up from there (by primary key) instead of found among all of
 * them: the cost follows the work waiting, not the history kept.
 */
export const queueDepthQuery = sql`
    select r.queue, count(*) filter (where ${statusIn("r.status", statusGroups.pending)})::int as queued,
      count(*) filter (where r.status = 'running')::int as running,
      coalesce(extract(epoch from now() - min(r.run_at) filter (where r.status = 'queued')), 0)::float8 as oldest
    from runs r
    where r.id in (${runIdsWithJobs()}) and ${statusIn("r.status", statusGroups.active)}
    group by r.queue
    order by r.queue nulls first`;

/** What `/metrics` exports as `conveyor_queue_depth` and `conveyor_queue_oldest_age_seconds`. */
export async function readQueueDepth(db: Executor): Promise<QueueDepth[]> {
  const result = await db.execute<{ queue: string | null; queued: number; running: number; oldest: number }>(
    queueDepthQuery,
  );
  return result.rows.map((row) => ({
    queue: row.queue,
    queued: row.queued,
    running: row.running,
    oldestQueuedSeconds: Math.max(0, row.oldest),
  }));
}
