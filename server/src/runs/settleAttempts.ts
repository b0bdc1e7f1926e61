import type { Database } from "../db/client.js";
import { withDeadlockRetry } from "../db/withDeadlockRetry.js";
import { cancelDependents } from "../flows/sql/cancelDependents.js";
import { countFlowRuns, type FlowTally, tally } from "../flows/sql/countFlowRuns.js";
import { releaseDependents } from "../flows/sql/releaseDependents.js";
import { addRunJobs, type RunJob } from "./sql/addRunJobs.js";
import { type CompletedRun, type Completion, completeRuns } from "./sql/completeRuns.js";

function jobFor(run: CompletedRun): RunJob {
  return { runId: run.id, task: run.task, queue: run.queue, priority: run.priority, runAt: run.nextAttemptAt };
}

/**
 * Records a batch of attempt outcomes with everything that follows from them, atomically: retries
 * and requeues get their job, a flow run's success queues the dependents it completes, a failure
 * cancels its dependents, and flow counters move. A batch of plain successes is one statement.
 */
export async function settleAttempts(db: Database, completions: readonly Completion[]): Promise<CompletedRun[]> {
  const isSimple = completions.every(
    (completion) =>
      completion.flowId === null && (completion.outcome.kind === "succeeded" || completion.outcome.kind === "failed"),
  );
  if (isSimple) return completeRuns(db, completions);
  return withDeadlockRetry(() =>
    db.transaction(async (tx) => {
      const rows = await completeRuns(tx, completions);
      const jobs = rows.filter((row) => row.status === "retrying" || row.status === "queued").map(jobFor);
      const inFlows = rows.filter((row) => row.flowId !== null);
      if (inFlows.length > 0) {
        const tallies = new Map<string, FlowTally>();
        const succeeded = inFlows.filter((row) => row.status === "succeeded");
        const failed = inFlows.filter((row) => row.status === "failed");
        for (const row of succeeded) tally(tallies, row.flowId, "succeeded");
        for (const row of failed) tally(tallies, row.flowId, "failed");
        jobs.push(
          ...(await releaseDependents(
            tx,
            succeeded.map((row) => row.id),
          )),
        );
        const cancelled = await cancelDependents(
          tx,
          failed.map((row) => row.id),
          "a run it depends on failed",
        );
        for (const run of cancelled) tally(tallies, run.flowId, "cancelled");
        await countFlowRuns(tx, [...tallies.values()]);
      }
      await addRunJobs(tx, jobs);
      return rows;
    }),
  );
}
