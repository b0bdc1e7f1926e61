import type { Executor } from "../db/client.js";
import { withDeadlockRetry } from "../db/withDeadlockRetry.js";
import { advanceFlows } from "../transitions/advanceFlows.js";
import { type CancelledRow, cancelRunRows } from "./sql/cancelRunRows.js";

/** Cancels runs and, transitively, the flow runs waiting on them; flow counters move in the same transaction. */
export function cancelRuns(db: Executor, ids: readonly string[], reason: string): Promise<CancelledRow[]> {
  return withDeadlockRetry(() =>
    db.transaction(async (tx) => {
      const cancelled = await cancelRunRows(tx, ids, reason);
      await advanceFlows(
        tx,
        cancelled.map((row) => ({ id: row.id, flowId: row.flowId, status: "cancelled" })),
        "a run it depends on was cancelled",
      );
      return cancelled;
    }),
  );
}
