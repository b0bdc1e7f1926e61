import { sql } from "drizzle-orm";
import type { Executor } from "../../db/client.js";
import { unlockJobsCtes } from "../../jobs/jobLocks.js";
import { RunTransition } from "../../transitions/runTransition.js";

/** A dead worker's run back in the queue: its `run.requeued` event (its job was unlocked, not replaced). */
const requeueTransition = new RunTransition({
  changed: "requeued",
  event: { type: sql`'run.requeued'`, payload: sql`jsonb_build_object('attempt', attempts, 'reason', 'worker lost')` },
});

export interface Reaped {
  workers: string[];
  unlockedJobs: number;
  requeuedRuns: number;
}

/**
 * Declares dead every worker whose heartbeat is older than `deadAfterMs`, unlocks the
 * graphile-worker jobs and queues it held (graphile-worker alone waits four hours), and puts its
 * running runs back in the queue, each with a `run.requeued` event. One statement: a worker is
 * reaped once, however many live workers look at the same moment.
 */
export async function reapDeadWorkers(
  db: Executor,
  selfId: string,
  deadAfterMs: number,
  /** Workers known dead whatever their heartbeat says (this process's own abandoned incarnations). */
  alsoWorkerIds: readonly string[] = [],
): Promise<Reaped> {
  const result = await db.execute<{ workers: string[] | null; unlocked_jobs: number; requeued_runs: number }>(sql`
    with dead as (
      update workers set state = 'dead', stopped_at = now()
      where state = 'running' and id <> ${selfId}
        and (last_heartbeat_at < now() - ${deadAfterMs}::int * interval '1 millisecond'
          or id in (select jsonb_array_elements_text(${JSON.stringify(alsoWorkerIds)}::jsonb)))
      returning id, lock_ids
    ), lock_ids as (
      select jsonb_array_elements_text(lock_ids) as lock_id from dead
    ), ${unlockJobsCtes(sql`locked_by in (select lock_id from lock_ids)`)}, requeued as (
      update runs set status = 'queued', worker_id = null, updated_at = now()
      where status = 'running' and worker_id in (select id from dead)
      returning id, flow_id, attempts, worker_id
    ), ${requeueTransition.ctes}
    select
      (select array_agg(id) from dead) as workers,
      (select count(*)::int from unlocked_jobs) as unlocked_jobs,
      (select count(*)::int from requeued) as requeued_runs,
      ${requeueTransition.effects}`);
  const row = result.rows[0];
  return { workers: row?.workers ?? [], unlockedJobs: row?.unlocked_jobs ?? 0, requeuedRuns: row?.requeued_runs ?? 0 };
}
