import { sql } from "drizzle-orm";
import type { Executor } from "../../db/client.js";
import { strayLocksCtes } from "../../jobs/jobLocks.js";

/**
 * Releases the jobs and queues this worker holds under its lock ids but is not working on (see
 * `strayLocksCtes`), so another worker takes them at once.
 */
export async function releaseStrayLocks(
  db: Executor,
  lockIds: readonly string[],
  inFlight: readonly string[],
  olderThanMs: number,
): Promise<{ unlockedJobs: number }> {
  if (lockIds.length === 0) return { unlockedJobs: 0 };
  const result = await db.execute<{ unlocked_jobs: number }>(sql`
    with ${strayLocksCtes(lockIds, inFlight, olderThanMs)}
    select (select count(*)::int from unlocked_jobs) as unlocked_jobs`);
  return { unlockedJobs: result.rows[0]?.unlocked_jobs ?? 0 };
}
