import type { RunStatus } from "@conveyor/shared";
import { sql } from "drizzle-orm";
import type { Executor } from "../../db/client.js";
import { uuidArray } from "../../db/uuidArray.js";
import { RunTransition, statusGroups, statusIn, transitionColumns } from "../../transitions/runTransition.js";

/** Whether a run in `status` may be retried (`runs.retry`, `runs.retryMany`). */
export function isRetryable(status: RunStatus): boolean {
  return (statusGroups.retryable as readonly RunStatus[]).includes(status);
}

/**
 * A reopening: the run's `run.queued` event, its job at once (by the database's clock), and its
 * earlier end taken back out of the overview's counts.
 */
const reopenTransition = new RunTransition({
  changed: "reopened",
  event: { type: sql`'run.queued'`, payload: sql`jsonb_build_object('reason', 'retry', 'attempt', attempts + 1)` },
  jobs: { runAt: sql`null::timestamptz` },
  rollUp: { sign: -1, source: "targets" },
});

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
      where id = any(${uuidArray(ids)}::uuid[]) and ${statusIn("status", statusGroups.retryable)} and flow_id is null
      order by id
      for update
    ), reopened as (
      update runs r set status = 'queued', max_attempts = r.attempts + 1, finished_at = null, next_attempt_at = null,
        run_at = now(), updated_at = now()
      from targets t
      where r.id = t.id
      returning ${transitionColumns("r")}
    ), ${reopenTransition.ctes}
    select id, ${reopenTransition.effects}
    from reopened`);
  return result.rows.map((row) => row.id);
}
