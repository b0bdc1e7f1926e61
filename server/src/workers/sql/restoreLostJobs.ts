import { sql } from "drizzle-orm";
import type { Executor } from "../../db/client.js";
import { addRunJobsCte, hasNoJob, jobStart } from "../../jobs/runJobs.js";
import { RunTransition, statusGroups, statusIn, transitionColumns } from "../../transitions/runTransition.js";

/** A running run whose job is gone goes back to the queue with a new one, as a lost worker's does. */
const requeueTransition = new RunTransition({
  changed: "requeued",
  event: { type: sql`'run.requeued'`, payload: sql`jsonb_build_object('attempt', attempts, 'reason', 'job lost')` },
  jobs: { runAt: sql`null` },
});

/**
 * Gives back a job to every pending or running run that has none (see `hasNoJob`): a pending run
 * gets its job as it was due, a running one is requeued with a `run.requeued` event. Either way the
 * run goes again rather than waiting forever; at-least-once, and its attempt fence refuses the
 * outcome of an attempt it superseded. Records that this server has been searched.
 */
export async function restoreLostJobs(db: Executor): Promise<{ restored: number; requeued: number }> {
  const result = await db.execute<{ restored: number; requeued: number }>(sql`
    with lost as (
      select r.id from runs r
      where ${statusIn("r.status", statusGroups.active)} and ${hasNoJob("r.id")}
      for update of r skip locked
    ), pending as (
      select r.id, r.task, r.queue, r.priority, r.run_at, ${jobStart} as start
      from runs r join lost on lost.id = r.id where ${statusIn("r.status", statusGroups.pending)}
    ), ${addRunJobsCte("restored", sql`pending`)}, requeued as (
      update runs r set status = 'queued', worker_id = null, updated_at = now()
      from lost where r.id = lost.id and r.status = 'running'
      returning ${transitionColumns("r")}
    ), ${requeueTransition.ctes}, swept as (
      insert into lost_job_sweeps (server_started_at) values (pg_postmaster_start_time())
      on conflict (server_started_at) do update set swept_at = now()
    )
    select (select added::int from restored) as restored, (select count(*)::int from requeued) as requeued,
      ${requeueTransition.effects}`);
  return { restored: result.rows[0]?.restored ?? 0, requeued: result.rows[0]?.requeued ?? 0 };
}
