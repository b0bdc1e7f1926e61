import { sql } from "drizzle-orm";
import type { Executor } from "../db/client.js";

export interface FlowTally {
  flowId: string;
  succeeded: number;
  failed: number;
  cancelled: number;
}

/**
 * Adds runs that just finished to their flows' counters and derives each flow's status. Counters
 * move by increments under the row lock, so concurrent finishes are all counted; a flow fails as
 * soon as one run fails for good, and a cancelled flow stays cancelled.
 */
export async function countFlowRuns(db: Executor, tallies: readonly FlowTally[]): Promise<void> {
  const rows = tallies
    .filter((tally) => tally.succeeded + tally.failed + tally.cancelled > 0)
    .map((tally) => ({ flow_id: tally.flowId, s: tally.succeeded, f: tally.failed, c: tally.cancelled }))
    .sort((a, b) => a.flow_id.localeCompare(b.flow_id));
  if (rows.length === 0) return;
  await db.execute(sql`
    update flows f set
      succeeded_runs = f.succeeded_runs + t.s,
      failed_runs = f.failed_runs + t.f,
      cancelled_runs = f.cancelled_runs + t.c,
      status = case
        when f.status in ('cancelled', 'failed') then f.status
        when f.failed_runs + t.f > 0 then 'failed'
        when f.succeeded_runs + t.s = f.total_runs then 'succeeded'
        when f.succeeded_runs + t.s + f.cancelled_runs + t.c = f.total_runs then 'cancelled'
        else 'running'
      end,
      finished_at = case
        when f.succeeded_runs + t.s + f.failed_runs + t.f + f.cancelled_runs + t.c >= f.total_runs then now()
        else f.finished_at
      end
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as t(flow_id uuid, s int, f int, c int)
    where f.id = t.flow_id`);
}

/** Adds one finished run of its flow (if any) to a tally map. */
export function tally(
  tallies: Map<string, FlowTally>,
  flowId: string | null,
  kind: "succeeded" | "failed" | "cancelled",
): void {
  if (!flowId) return;
  const entry = tallies.get(flowId) ?? { flowId, succeeded: 0, failed: 0, cancelled: 0 };
  entry[kind] += 1;
  tallies.set(flowId, entry);
}
