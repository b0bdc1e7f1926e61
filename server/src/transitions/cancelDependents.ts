import { sql } from "drizzle-orm";
import type { Executor } from "../db/client.js";
import { uuidArray } from "../db/uuidArray.js";
import { metrics } from "../metrics/metrics.js";
import { cancelTransition } from "./cancelTransition.js";

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
  const transition = cancelTransition(reason);
  const result = await db.execute<{ id: string; flow_id: string | null; task: string }>(sql`
    with recursive doomed as (
      select d.run_id from run_dependencies d where d.depends_on = any(${uuidArray(deadIds)}::uuid[])
      union
      select d.run_id from run_dependencies d join doomed on d.depends_on = doomed.run_id
    ), cancelled as (
      update runs r set status = 'cancelled', finished_at = now(), updated_at = now()
      from doomed
      where r.id = doomed.run_id and r.status = 'waiting'
      returning r.id, r.flow_id, r.task, r.status, r.started_at, r.finished_at, false as was_running
    ), ${transition.ctes}
    select id, flow_id, task, ${transition.effects}
    from cancelled`);
  for (const row of result.rows) metrics.runsCancelled.inc({ task: row.task });
  return result.rows.map((row) => ({ id: row.id, flowId: row.flow_id }));
}
