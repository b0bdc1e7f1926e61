import type { Database } from "../db/client.js";
import { withDeadlockRetry } from "../db/withDeadlockRetry.js";
import { advanceFlows, type FinishedRun } from "../transitions/advanceFlows.js";
import { releaseDependents } from "../transitions/releaseDependents.js";
import type { Claim } from "./sql/claimRuns.js";
import { type RecordedAttempts, recordAttempts } from "./sql/recordAttempts.js";
import type { CompletedRun, Completion } from "./sql/recordOutcomes.js";

function hasFinished(run: CompletedRun): run is CompletedRun & FinishedRun {
  return run.status === "succeeded" || run.status === "failed";
}

/**
 * Records a batch of attempt outcomes with everything that follows from them, atomically, and
 * claims runs for new attempts with them: retries and requeues get their job, a flow run's
 * success queues the dependents it completes, a failure cancels its dependents, and flow counters
 * move. A batch without flow runs is one statement.
 */
export async function recordAttemptsWithFlows(
  db: Database,
  workerId: string,
  completions: readonly Completion[],
  claims: readonly Claim[],
): Promise<RecordedAttempts> {
  if (completions.every((completion) => completion.flowId === null)) {
    return recordAttempts(db, workerId, completions, claims);
  }
  return withDeadlockRetry(() =>
    db.transaction(async (tx) => {
      const recorded = await recordAttempts(tx, workerId, completions, claims);
      const finished = recorded.completed.filter((row) => row.flowId !== null).filter(hasFinished);
      if (finished.length > 0) {
        await releaseDependents(
          tx,
          finished.filter((row) => row.status === "succeeded").map((row) => row.id),
        );
        await advanceFlows(tx, finished, "a run it depends on failed");
      }
      return recorded;
    }),
  );
}
