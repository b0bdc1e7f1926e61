/** Thrown by a task when retrying cannot help (a 4xx answer, a record that does not exist). */
export class NonRetryableError extends Error {
  override name = "NonRetryableError";
}

/** The attempt ran past its timeout. Counts as a failed attempt and is retried. */
export class TaskTimeoutError extends Error {
  override name = "TaskTimeoutError";
}

/** The stored input no longer satisfies the task's schema (the schema changed since enqueue). */
export class InputValidationError extends NonRetryableError {
  override name = "InputValidationError";
}

/** The task returned something its output schema rejects: a bug in the task, not a transient fault. */
export class OutputValidationError extends NonRetryableError {
  override name = "OutputValidationError";
}

/** The worker running the previous attempt was lost and no attempts are left. */
export class WorkerLostError extends NonRetryableError {
  override name = "WorkerLostError";
}

/** The attempt was interrupted because its worker is shutting down; the run goes back to the queue. */
export class WorkerShutdownError extends Error {
  override name = "WorkerShutdownError";
}

/**
 * The attempt started from its job before its claim was recorded, and the claim was refused (the
 * run was cancelled, paused or finished meanwhile); the attempt's result is discarded.
 */
export class ClaimRefusedError extends Error {
  override name = "ClaimRefusedError";
}

/** The run was cancelled while this attempt ran; the attempt's result is discarded. */
export class RunCancelledError extends Error {
  override name = "RunCancelledError";
}

/**
 * Thrown by a task that knows when trying again can work (a 429 with `Retry-After`): the next
 * attempt comes after `delayMs` instead of the backoff's delay. It still uses an attempt.
 */
export class RetryAfterError extends Error {
  override name = "RetryAfterError";
  constructor(
    readonly delayMs: number,
    message = `asked to retry after ${delayMs} ms`,
  ) {
    super(message);
    if (!Number.isFinite(delayMs) || delayMs < 0)
      throw new RangeError(`RetryAfterError: delayMs must be ≥ 0, got ${delayMs}`);
  }
}
