import type { Database } from "../db/client.js";
import { withDeadlockRetry } from "../db/withDeadlockRetry.js";
import { releaseDependents } from "../flows/sql/releaseDependents.js";
import { type FinishedRun, settleFlowRuns } from "../flows/sql/settleFlowRuns.js";
import { addRunJobs } from "./sql/addRunJobs.js";
import type { CompletedRun, Completion } from "./sql/completeRuns.js";
import { type RecordedAttempts, recordAttempts } from "./sql/recordAttempts.js";

function hasFinished(run: CompletedRun): run is CompletedRun & FinishedRun {
  return run.status === "succeeded" || run.status === "failed";
}

/**
 * Records a batch of attempt outcomes with everything that follows from them, atomically, and
 * claims runs for new attempts: retries and requeues get their job, a flow run's success queues
 * the dependents it completes, a failure cancels its dependents, and flow counters move. Claims and
 * outcomes of runs outside flows are one statement; flow runs' outcomes take a transaction of
 * their own beside it, so claims never wait on one.
 */
export async function settleAttempts(
  db: Database,
  workerId: string,
  completions: readonly Completion[],
  claimRunIds: readonly string[],
): Promise<RecordedAttempts> {
  const inFlows = completions.filter((completion) => completion.flowId !== null);
  if (inFlows.length === 0) return recordAttempts(db, workerId, completions, claimRunIds);
  const alone = completions.filter((completion) => completion.flowId === null);
  const [plain, flows] = await Promise.all([
    alone.length > 0 || claimRunIds.length > 0
      ? recordAttempts(db, workerId, alone, claimRunIds)
      : { completed: [], claimed: [] },
    settleFlowAttempts(db, workerId, inFlows),
  ]);
  return { completed: [...plain.completed, ...flows], claimed: plain.claimed };
}

function settleFlowAttempts(db: Database, workerId: string, completions: readonly Completion[]) {
  return withDeadlockRetry(() =>
    db.transaction(async (tx) => {
      const { completed } = await recordAttempts(tx, workerId, completions, []);
      const finished = completed.filter(hasFinished);
      if (finished.length > 0) {
        const released = await releaseDependents(
          tx,
          finished.filter((row) => row.status === "succeeded").map((row) => row.id),
        );
        await settleFlowRuns(tx, finished, "a run it depends on failed");
        await addRunJobs(tx, released);
      }
      return completed;
    }),
  );
}
