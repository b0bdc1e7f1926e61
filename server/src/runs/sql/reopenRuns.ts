import type { RunStatus } from "@conveyor/shared";
import { sql } from "drizzle-orm";
import type { Executor } from "../../db/client.js";
import { runJobSpecs } from "../../jobs/runJobs.js";
import { notifyEvents } from "./notifyEvents.js";
import { rolledUp, rollUpCte } from "./rollUpRuns.js";
import { uuidArray } from "./uuidArray.js";

/** The statuses a run may be retried from. */
export const retryableStatuses = ["failed", "cancelled"] as const satisfies readonly RunStatus[];

/** Whether a run in `status` may be retried (`runs.retry`, `runs.retryMany`). */
export function isRetryable(status: RunStatus): boolean {
  return (retryableStatuses as readonly RunStatus[]).includes(status);
}

/**
 * Puts the failed or cancelled runs among `ids` that are not part of a flow back in the queue,
 * each with one attempt more than it has used, with their events and jobs, in one statement:
 * a bulk retry is one round trip and needs no transaction. Returns the ids reopened.
 */
export async function reopenRuns(db: Executor, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const result = await db.execute<{ id: string }>(sql`
    with targets as (
      -- One lock order for every bulk write, so concurrent ones cannot deadlock.
      select id, task, status, started_at, finished_at from runs
      where id = any(${uuidArray(ids)}::uuid[]) and status in ${retryableStatuses} and flow_id is null
      order by id
      for update
    ), ${rollUpCte("rolled_back", "targets", -1)}, reopened as (
      update runs r set status = 'queued', max_attempts = r.attempts + 1, finished_at = null, next_attempt_at = null,
        run_at = now(), updated_at = now()
      from targets t
      where r.id = t.id
      returning r.id, r.flow_id, r.attempts, r.task, r.queue, r.priority
    ), recorded as (
      insert into events (run_id, flow_id, type, payload)
      select id, flow_id, 'run.queued', jsonb_build_object('reason', 'retry', 'attempt', attempts + 1)
      from reopened
      returning id
    ), jobs as (
      -- A null run_at runs the job at once, by the database's clock.
      select count(*) as added from graphile_worker.add_jobs(${runJobSpecs(sql`(
        select id, task, queue, priority, null::timestamptz as run_at from reopened
      )`)})
    )
    -- jobs runs only if referenced: a select is not a data-modifying CTE.
    select id, ${notifyEvents("recorded")}, ${rolledUp("rolled_back")}, (select added from jobs) as jobs
    from reopened`);
  return result.rows.map((row) => row.id);
}
