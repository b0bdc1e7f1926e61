import { sql } from "drizzle-orm";
import type { Executor } from "../../db/client.js";
import { unlockJobsCtes } from "../../jobs/jobLocks.js";

/**
 * Unlocks graphile-worker jobs and queues locked, for longer than `deadAfterMs`, under a lock id
 * that no running worker has on record. A worker can lock a job in the moment between starting
 * graphile-worker and recording its lock ids, and die there (its database connections terminated,
 * say); the reaper finds locks only through recorded ids, and graphile-worker alone would hold the
 * job for four hours. A live worker records its ids within its first heartbeat, long before its
 * locks are `deadAfterMs` old, so a lock this finds belongs to nobody.
 *
 * Conveyor owns the graphile_worker schema: a graphile-worker runner of some other program on the
 * same schema would have its long-held locks released too.
 */
export async function releaseOrphanedLocks(db: Executor, deadAfterMs: number): Promise<{ unlockedJobs: number }> {
  const result = await db.execute<{ unlocked_jobs: number }>(sql`
    with live_lock_ids as (
      select jsonb_array_elements_text(lock_ids) as lock_id from workers where state = 'running'
    ), ${unlockJobsCtes(sql`locked_at < now() - ${deadAfterMs}::int * interval '1 millisecond'
        and locked_by not in (select lock_id from live_lock_ids)`)}
    select (select count(*)::int from unlocked_jobs) as unlocked_jobs`);
  return { unlockedJobs: result.rows[0]?.unlocked_jobs ?? 0 };
}
