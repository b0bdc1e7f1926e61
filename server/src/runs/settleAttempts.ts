import type { Database } from "../db/client.js";
import { withDeadlockRetry } from "../db/withDeadlockRetry.js";
import { releaseDependents } from "../flows/sql/releaseDependents.js";
import { type FinishedRun, settleFlowRuns } from "../flows/sql/settleFlowRuns.js";
import { addRunJobs } from "./sql/addRunJobs.js";
import { type CompletedRun, type Completion, completeRuns } from "./sql/completeRuns.js";

function hasFinished(run: CompletedRun): run is CompletedRun & FinishedRun {
  return run.status === "succeeded" || run.status === "failed";
}

/**
 * Records a batch of attempt outcomes with everything that follows from them, atomically: retries
 * and requeues get their job, a flow run's success queues the dependents it completes, a failure
 * cancels its dependents, and flow counters move. A batch without flow runs is one statement.
 */
export async function settleAttempts(db: Database, completions: readonly Completion[]): Promise<CompletedRun[]> {
  if (completions.every((completion) => completion.flowId === null)) return completeRuns(db, completions);
  return withDeadlockRetry(() =>
    db.transaction(async (tx) => {
      const rows = await completeRuns(tx, completions);
      const finished = rows.filter((row) => row.flowId !== null).filter(hasFinished);
      if (finished.length > 0) {
        const released = await releaseDependents(
          tx,
          finished.filter((row) => row.status === "succeeded").map((row) => row.id),
        );
        await settleFlowRuns(tx, finished, "a run it depends on failed");
        await addRunJobs(tx, released);
      }
      return rows;
    }),
  );
}
