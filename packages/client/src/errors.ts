import type { Run, RunError } from "@conveyor/shared";

/** The run failed for good (attempts used up, or an error that retrying cannot help). */
export class RunFailedError extends Error {
  override name = "RunFailedError";
  readonly runId: string;
  readonly task: string;
  /** The error of the run's last attempt, as the worker recorded it: its name, message and attempt. */
  readonly error: RunError;
  /** The run as it was when it failed. */
  readonly run: Run;

  constructor(run: Run) {
    const error = run.error ?? {
      name: "Error",
      message: "the run failed without recording an error",
      stack: null,
      attempt: run.attempts,
      isRetryable: false,
    };
    super(`run ${run.id} (${run.task}) failed on attempt ${error.attempt}: ${error.name}: ${error.message}`);
    this.runId = run.id;
    this.task = run.task;
    this.error = error;
    this.run = run;
  }
}

/** The run was cancelled (by `runs.cancel`, or because a run it depends on failed). */
export class RunCancelledError extends Error {
  override name = "RunCancelledError";
  readonly runId: string;
  readonly task: string;
  /** Why, as recorded with the cancellation; null if the event did not say. */
  readonly reason: string | null;
  readonly run: Run;

  constructor(run: Run, reason: string | null) {
    super(`run ${run.id} (${run.task}) was cancelled${reason ? `: ${reason}` : ""}`);
    this.runId = run.id;
    this.task = run.task;
    this.reason = reason;
    this.run = run;
  }
}

/** `waitFor` gave up after its `timeoutMs`; the run itself goes on. */
export class WaitTimeoutError extends Error {
  override name = "WaitTimeoutError";
  constructor(
    readonly runId: string,
    readonly timeoutMs: number,
  ) {
    super(`run ${runId} did not finish within ${timeoutMs} ms (it goes on; only the wait stopped)`);
  }
}

/** The run is not of the task `waitFor` was told to expect, so its output would be mistyped. */
export class TaskMismatchError extends Error {
  override name = "TaskMismatchError";
  constructor(
    readonly runId: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`run ${runId} is a ${actual} run, not ${expected}`);
  }
}
