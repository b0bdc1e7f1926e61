import type { Executor } from "../db/client.js";
import { withDeadlockRetry } from "../db/withDeadlockRetry.js";
import { settleFlowRuns } from "../flows/sql/settleFlowRuns.js";
import { type CancelledRow, cancelRunRows } from "./sql/cancelRunRows.js";

/** Cancels runs and, transitively, the flow runs waiting on them; flow counters move in the same transaction. */
export function cancelRuns(db: Executor, ids: readonly string[], reason: string): Promise<CancelledRow[]> {
  return withDeadlockRetry(() =>
    db.transaction(async (tx) => {
      const cancelled = await cancelRunRows(tx, ids, reason);
      await settleFlowRuns(
        tx,
        cancelled.map((row) => ({ id: row.id, flowId: row.flowId, status: "cancelled" })),
        "a run it depends on was cancelled",
      );
      return cancelled;
    }),
  );
}
