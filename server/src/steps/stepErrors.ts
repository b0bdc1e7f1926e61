/** Thrown by `ctx.waitForEvent` when its timeout passes first; a task may catch it and go on. */
export class WaitTimeoutError extends Error {
  override name = "WaitTimeoutError";
  constructor(
    readonly step: string,
    readonly event: string,
    readonly deadline: Date,
  ) {
    super(`step "${step}" waited for event "${event}" until ${deadline.toISOString()} and none came`);
  }
}

/**
 * A step's name was used twice in one attempt, or its stored result no longer fits its schema: a
 * bug in the task, so the attempt is not retried.
 */
export class StepDefinitionError extends Error {
  override name = "StepDefinitionError";
}
