import type { Task } from "graphile-worker";
import type { RunJobPayload } from "../jobs/runJobs.js";
import type { HeartbeatLoop } from "./heartbeatLoop.js";
import type { RunExecutor } from "./runExecutor.js";

/*
 * The job adapter: where a graphile-worker job meets its run. A job comes in, the executor
 * claims its run and runs an attempt (runExecutor.ts), and the job ends as the attempt's
 * disposition says (below).
 */

/** A run job's payload: written by Conveyor's own statements (`runJobSpecs`), so only its shape is checked. */
function asRunJobPayload(payload: unknown): RunJobPayload {
  if (typeof payload === "object" && payload !== null && "runId" in payload && typeof payload.runId === "string") {
    return payload as RunJobPayload;
  }
  throw new Error(`not a run job's payload: ${JSON.stringify(payload)}`);
}

/**
 * The graphile-worker task behind every Conveyor task: a job carries its run's id, and what its
 * attempt needs to start before the claim; the executor runs it, and the job ends as its
 * disposition says.
 */
export function runJobTask(options: {
  executor: RunExecutor;
  /** graphile-worker's lock ids in this process: a dead worker's jobs are found by these. */
  lockIds: Set<string>;
  /** The ids of the jobs whose task functions are running now. */
  jobsInFlight: Set<string>;
  /** Records the lock ids with the worker's heartbeat. */
  heartbeats: Pick<HeartbeatLoop, "beatNow">;
}): Task {
  return async (payload, helpers) => {
    const { runId, start } = asRunJobPayload(payload);
    // The lock must be on record before the run is claimed: a worker killed right after would
    // otherwise hold a job no reaper can find.
    const lockedBy = helpers.job.locked_by;
    if (lockedBy && !options.lockIds.has(lockedBy)) {
      options.lockIds.add(lockedBy);
      await options.heartbeats.beatNow();
    }
    options.jobsInFlight.add(helpers.job.id);
    try {
      applyJobDisposition(
        await options.executor.runJob({
          runId,
          task: helpers.job.task_identifier,
          start: start ?? null,
          dueAt: helpers.job.run_at,
          job: lockedBy ? { id: helpers.job.id, lockedBy } : null,
        }),
      );
    } finally {
      options.jobsInFlight.delete(helpers.job.id);
    }
  };
}

/**
 * What becomes of the graphile-worker job that delivered an attempt: the one contract between a
 * run's lifecycle (Conveyor's) and its job's (graphile-worker's).
 *
 * graphile-worker decides by how the task function ends. Returning completes the job: it deletes
 * it by id, whoever holds it by then. Throwing fails it: only a job this worker still holds is
 * touched — its lock is released and it is delivered again after graphile-worker's backoff (its
 * own attempts only bound such re-deliveries; Conveyor schedules its own retries). Conveyor never
 * lets graphile-worker retry a run: a retry, requeue, suspension or deferral adds a replacement job
 * under the run's key, and graphile-worker, finding that key on a job that is locked, moves the key
 * to the new job, so completing the old one leaves the new one alone.
 */
export type JobDisposition =
  /** The run needs no job any more: it finished, was cancelled, or its claim found nothing to do. */
  | { kind: "complete" }
  /** The outcome added the run's next job under the same key; this one is done. */
  | { kind: "replaced" }
  /** Not started here (the worker is shutting down): left for graphile-worker to deliver again. */
  | { kind: "released"; reason: string }
  /**
   * The job must not be completed: its run is no longer this attempt's (a reaper gave it back to
   * the queue while this worker was cut off), or this worker cannot run it. Completing would delete
   * a job that may be someone else's by now, leaving a queued run without one.
   */
  | { kind: "failed"; error: Error };

/** Ends graphile-worker's task function as `disposition` says: returns, or throws for the job to stay. */
export function applyJobDisposition(disposition: JobDisposition): void {
  switch (disposition.kind) {
    case "complete":
    case "replaced":
      return;
    case "released":
      throw new Error(`${disposition.reason}; the job stays queued`);
    case "failed":
      throw disposition.error;
  }
}
