import type { Task } from "graphile-worker";
import { z } from "zod";
import type { HeartbeatLoop } from "./heartbeatLoop.js";
import { applyJobDisposition } from "./jobDisposition.js";
import type { RunExecutor } from "./runExecutor.js";

const jobPayloadSchema = z.object({ runId: z.uuid() });

/**
 * The graphile-worker task behind every Conveyor task: a job carries its run's id; the executor
 * claims and runs it, and the job ends as its disposition says.
 */
export function runJobTask(options: {
  executor: RunExecutor;
  /** graphile-worker's lock ids in this process: a dead worker's jobs are found by these. */
  lockIds: Set<string>;
  /** Records the lock ids with the worker's heartbeat. */
  heartbeats: Pick<HeartbeatLoop, "beatNow">;
}): Task {
  return async (payload, helpers) => {
    const { runId } = jobPayloadSchema.parse(payload);
    // The lock must be on record before the run is claimed: a worker killed right after would
    // otherwise hold a job no reaper can find.
    const lockedBy = helpers.job.locked_by;
    if (lockedBy && !options.lockIds.has(lockedBy)) {
      options.lockIds.add(lockedBy);
      await options.heartbeats.beatNow();
    }
    applyJobDisposition(await options.executor.execute(runId, helpers.job.task_identifier));
  };
}
