import type { Executor } from "../db/client.js";
import { withDeadlockRetry } from "../db/withDeadlockRetry.js";
import { cancelDependents } from "../flows/sql/cancelDependents.js";
import { countFlowRuns, type FlowTally, tally } from "../flows/sql/countFlowRuns.js";
import { type CancelledRow, cancelRunRows } from "./sql/cancelRunRows.js";

/** Cancels runs and, transitively, the flow runs waiting on them; flow counters move in the same transaction. */
export function cancelRuns(db: Executor, ids: readonly string[], reason: string): Promise<CancelledRow[]> {
  return withDeadlockRetry(() =>
    db.transaction(async (tx) => {
      const cancelled = await cancelRunRows(tx, ids, reason);
      const tallies = new Map<string, FlowTally>();
      for (const row of cancelled) tally(tallies, row.flowId, "cancelled");
      const inFlows = cancelled.filter((row) => row.flowId !== null).map((row) => row.id);
      const dependents = await cancelDependents(tx, inFlows, "a run it depends on was cancelled");
      for (const row of dependents) tally(tallies, row.flowId, "cancelled");
      await countFlowRuns(tx, [...tallies.values()]);
      return cancelled;
    }),
  );
}
