import { sql } from "drizzle-orm";
import type { Executor } from "../../db/client.js";
import { runJobSpecs } from "../../jobs/runJobs.js";
import { notifyEvents } from "../../runs/sql/notifyEvents.js";
import { uuidArray } from "../../runs/sql/uuidArray.js";

/**
 * Resumes runs whose wait was just completed: a suspended run is queued with its job due now.
 * A run still `running` (its attempt is about to suspend on this very wait) is marked with a due
 * `next_attempt_at`, which its suspension takes as its wake-up time (see `completionCtes`): the
 * row lock orders the two, so the wake-up is never lost whichever commits first.
 */
export async function wakeRuns(db: Executor, runIds: readonly string[], reason: string): Promise<string[]> {
  if (runIds.length === 0) return [];
  const result = await db.execute<{ id: string }>(sql`
    with woken as (
      update runs r set
        status = case when r.status = 'waiting' then 'queued' else r.status end,
        next_attempt_at = case when r.status = 'running' then now() end,
        updated_at = now()
      where r.id = any(${uuidArray(runIds)}::uuid[])
        and (r.status = 'running' or (r.status = 'waiting' and r.next_attempt_at is not null))
      returning r.id, r.flow_id, r.task, r.queue, r.priority, r.status
    ), recorded as (
      insert into events (run_id, flow_id, type, payload)
      select id, flow_id, 'run.queued', jsonb_build_object('reason', ${reason}::text)
      from woken where status = 'queued'
      returning id
    ), jobs as (
      select count(*) as added from graphile_worker.add_jobs(${runJobSpecs(sql`(
        select id, task, queue, priority, null::timestamptz as run_at from woken where status = 'queued'
      )`)})
    )
    select id, ${notifyEvents("recorded")}, (select added from jobs) as jobs from woken`);
  return result.rows.map((row) => row.id);
}
