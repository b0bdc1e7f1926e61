import { sql } from "drizzle-orm";
import type { Executor } from "../../db/client.js";
import { runJobSpecs } from "../../jobs/runJobs.js";
import { notifyEvents } from "./notifyEvents.js";

/**
 * Moves a run that may not start yet (rate limit) to `scheduled` at `until`, with its event and
 * its job for that time, in one statement (no transaction needed); no attempt is used. Returns
 * whether the run was deferred.
 */
export async function deferRun(db: Executor, runId: string, until: Date, reason: string): Promise<boolean> {
  const result = await db.execute<{ id: string }>(sql`
    with deferred as (
      update runs set status = 'scheduled', run_at = ${until.toISOString()}::timestamptz, updated_at = now()
      where id = ${runId} and status in ('queued', 'scheduled', 'retrying')
      returning id, flow_id, task, queue, priority, run_at
    ), recorded as (
      insert into events (run_id, flow_id, type, payload)
      select id, flow_id, 'run.scheduled', jsonb_build_object('runAt', run_at, 'reason', ${reason}::text)
      from deferred
      returning id
    ), jobs as (
      select count(*) as added from graphile_worker.add_jobs(${runJobSpecs(sql`(
        select id, task, queue, priority, run_at from deferred
      )`)})
    )
    -- jobs runs only if referenced: a select is not a data-modifying CTE.
    select id, ${notifyEvents("recorded")}, (select added from jobs) as jobs
    from deferred`);
  return result.rows.length > 0;
}
