import { sql } from "drizzle-orm";
import { sendControl } from "../../control/controlChannel.js";
import type { Executor } from "../../db/client.js";
import { uuidArray } from "../../db/uuidArray.js";
import { removeRunJobs } from "../../jobs/runJobs.js";
import { metrics } from "../../metrics/metrics.js";
import { cancelTransition } from "../../transitions/cancelTransition.js";
import { statusGroups, statusIn } from "../../transitions/runTransition.js";

export interface CancelledRow {
  id: string;
  flowId: string | null;
  wasRunning: boolean;
}

/**
 * Marks unfinished runs cancelled with their events, removes the jobs of those not running, and
 * tells workers to abort those that are. A running attempt's late result is then discarded,
 * because only the attempt that holds a `running` run may finish it.
 */
export async function cancelRunRows(db: Executor, ids: readonly string[], reason: string): Promise<CancelledRow[]> {
  if (ids.length === 0) return [];
  const transition = cancelTransition(reason);
  const result = await db.execute<{ id: string; flow_id: string | null; was_running: boolean; task: string }>(sql`
    with targets as (
      select id, status from runs
      where id = any(${uuidArray(ids)}::uuid[]) and not ${statusIn("status", statusGroups.finished)}
      order by id
      for update
    ), cancelled as (
      update runs r set status = 'cancelled', finished_at = now(), next_attempt_at = null, updated_at = now()
      from targets t
      where r.id = t.id
      returning r.id, r.flow_id, t.status = 'running' as was_running, r.task, r.status, r.started_at, r.finished_at
    ), ${transition.ctes}
    select id, flow_id, was_running, task, ${transition.effects}
    from cancelled`);
  for (const row of result.rows) metrics.runsCancelled.inc({ task: row.task });
  const rows = result.rows.map((row) => ({ id: row.id, flowId: row.flow_id, wasRunning: row.was_running }));
  // remove_job leaves a locked job alone; its worker will find the run cancelled and skip it.
  await removeRunJobs(
    db,
    rows.filter((row) => !row.wasRunning).map((row) => row.id),
  );
  const running = rows.filter((row) => row.wasRunning).map((row) => row.id);
  if (running.length > 0) {
    await sendControl(db, { cancel: running });
  }
  return rows;
}
