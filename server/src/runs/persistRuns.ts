import type { Executor } from "../db/client.js";
import { addRunJobs } from "./sql/addRunJobs.js";
import { insertRuns, type NewRun } from "./sql/insertRuns.js";

/**
 * Writes runs and the jobs of those that can run (not `waiting`), in the caller's transaction.
 * Returns the ids actually inserted: a run whose idempotency key is taken is not.
 */
export async function persistRuns(tx: Executor, runs: readonly NewRun[]): Promise<Set<string>> {
  const inserted = await insertRuns(tx, runs);
  await addRunJobs(
    tx,
    runs
      .filter((run) => inserted.has(run.id) && run.status !== "waiting")
      .map((run) => ({
        runId: run.id,
        task: run.task,
        queue: run.queue,
        priority: run.priority,
        // Due runs take the database's clock, so a skewed app clock cannot delay them.
        runAt: run.status === "scheduled" ? run.runAt : null,
      })),
  );
  return inserted;
}
