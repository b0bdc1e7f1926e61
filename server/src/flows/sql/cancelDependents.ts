import { sql } from "drizzle-orm";
import type { Executor } from "../../db/client.js";
import { metrics } from "../../metrics/metrics.js";
import { notifyEvents } from "../../runs/sql/notifyEvents.js";
import { rolledUp, rollUpCte } from "../../runs/sql/rollUpRuns.js";
import { uuidArray } from "../../runs/sql/uuidArray.js";

export interface CancelledRun {
  id: string;
  flowId: string | null;
}

/**
 * Cancels every run that depends, directly or not, on a run that failed for good or was
 * cancelled: it can never get its input. Such runs are all still `waiting`.
 */
export async function cancelDependents(
  db: Executor,
  deadIds: readonly string[],
  reason: string,
): Promise<CancelledRun[]> {
  if (deadIds.length === 0) return [];
  const result = await db.execute<{ id: string; flow_id: string | null; task: string }>(sql`
    with recursive doomed as (
      select d.run_id from run_dependencies d where d.depends_on = any(${uuidArray(deadIds)}::uuid[])
      union
      select d.run_id from run_dependencies d join doomed on d.depends_on = doomed.run_id
    ), cancelled as (
      update runs r set status = 'cancelled', finished_at = now(), updated_at = now()
      from doomed
      where r.id = doomed.run_id and r.status = 'waiting'
      returning r.id, r.flow_id, r.task, r.status, r.started_at, r.finished_at
    ), ${rollUpCte("rolled_up", "cancelled", 1)}, recorded as (
      insert into events (run_id, flow_id, type, payload)
      select id, flow_id, 'run.cancelled', jsonb_build_object('reason', ${reason}::text)
      from cancelled
      returning id
    )
    select id, flow_id, task, ${notifyEvents("recorded")}, ${rolledUp("rolled_up")}
    from cancelled`);
  for (const row of result.rows) metrics.runsCancelled.inc({ task: row.task });
  return result.rows.map((row) => ({ id: row.id, flowId: row.flow_id }));
}
