import { type Backoff, type RunError, retryDelayMs } from "@conveyor/shared";
import type { Executor } from "../db/client.js";
import { describeZodError } from "../errors.js";
import type { ClaimedRun } from "../runs/sql/claimRuns.js";
import type { AttemptOutcome } from "../runs/sql/recordOutcomes.js";
import { DurableSteps } from "../steps/durableSteps.js";
import { StepDefinitionError } from "../steps/stepErrors.js";
import type { AttemptActivity } from "./attemptActivity.js";
import {
  ClaimRefusedError,
  InputValidationError,
  NonRetryableError,
  OutputValidationError,
  RetryAfterError,
  RunCancelledError,
  TaskTimeoutError,
  WorkerLostError,
  WorkerShutdownError,
} from "./taskErrors.js";
import type { TaskImplementation } from "./taskImplementation.js";

type Settled = { ok: true; value: unknown } | { ok: false; error: unknown } | { abandoned: true };

/** What an attempt needs besides its run: the database for durable steps, and a per-key rate gate. */
export interface AttemptServices {
  db: Executor;
  /** Whether the attempt holds its run: false once its claim was refused (see `RunExecutor`). */
  claimed: Promise<boolean>;
  /** For a task rate-limited per key: takes a start for the input's key, or says when the next window opens. */
  takeKeyedRateSlot: ((input: unknown) => Promise<Date | null>) | null;
}

/** One attempt of one run: validate, execute under a timeout, validate, and decide what happens next. */
export class RunAttempt {
  readonly #controller = new AbortController();
  #interruptedForShutdown = false;
  #isCancelled = false;

  constructor(
    readonly run: ClaimedRun,
    private readonly implementation: TaskImplementation,
    readonly activity: AttemptActivity,
    private readonly abortGraceMs: number,
    private readonly services: AttemptServices,
  ) {
    this.#steps = new DurableSteps(services.db, { id: run.id, attempt: run.attempt }, services.claimed);
  }

  readonly #steps: DurableSteps;

  /** Asks the task to stop because the worker is shutting down; the run will be requeued. */
  interrupt(): void {
    this.#interruptedForShutdown = true;
    this.#controller.abort(new WorkerShutdownError("worker is shutting down"));
  }

  /** The run was cancelled: the task is told to stop, and whatever it returns is discarded. */
  cancel(): void {
    this.#isCancelled = true;
    this.#controller.abort(new RunCancelledError(`run ${this.run.id} was cancelled`));
  }

  /** Its claim was refused (the run was cancelled, paused or finished meanwhile): the task is told to stop. */
  refuse(): void {
    this.#controller.abort(
      new ClaimRefusedError(`attempt ${this.run.attempt} of run ${this.run.id} was refused its claim`),
    );
  }

  get isCancelled(): boolean {
    return this.#isCancelled;
  }

  /** Runs the task once, within its timeout, and says how the attempt ended; never throws. */
  async perform(): Promise<AttemptOutcome> {
    const { definition } = this.implementation;
    if (this.run.attempt > this.run.maxAttempts) {
      return this.#fail(
        new WorkerLostError(`the worker running attempt ${this.run.attempt - 1} was lost and no attempts are left`),
      );
    }
    const input = definition.input.safeParse(this.run.input);
    if (!input.success) {
      return this.#fail(
        new InputValidationError(`input does not match the task's schema: ${describeZodError(input.error)}`),
      );
    }

    if (this.services.takeKeyedRateSlot) {
      let nextWindow: Date | null;
      try {
        nextWindow = await this.services.takeKeyedRateSlot(input.data);
      } catch (error) {
        return this.#fail(error);
      }
      // To the key's next window without using an attempt.
      if (nextWindow) return { kind: "defer", until: nextWindow, reason: "rate limit" };
    }

    const steps = this.#steps;
    const timer = setTimeout(() => {
      this.#controller.abort(
        new TaskTimeoutError(`attempt ${this.run.attempt} timed out after ${this.run.timeoutMs} ms`),
      );
    }, this.run.timeoutMs);
    const settled = await this.#settle(() =>
      this.implementation.handle(input.data, {
        runId: this.run.id,
        attempt: this.run.attempt,
        maxAttempts: this.run.maxAttempts,
        signal: this.#controller.signal,
        progress: (progress) => this.activity.progress(progress),
        logger: this.activity.logger,
        step: (name, fn, schema) => steps.step(name, fn, schema),
        sleep: (name, duration) => steps.sleep(name, duration),
        waitForEvent: (name, options) => steps.waitForEvent(name, options),
      }),
    ).finally(() => clearTimeout(timer));

    // Recorded before the code unwound: the run sleeps or waits whatever the code did afterwards.
    if (steps.suspension) return { kind: "suspend", ...steps.suspension };

    if ("ok" in settled && settled.ok) {
      const output = definition.output.safeParse(settled.value);
      if (output.success) return { kind: "succeeded", output: output.data };
      return this.#fail(
        new OutputValidationError(`output does not match the task's schema: ${describeZodError(output.error)}`),
      );
    }
    if (this.#interruptedForShutdown) return { kind: "requeue" };
    const reason: unknown = this.#controller.signal.aborted ? this.#controller.signal.reason : undefined;
    if (reason instanceof TaskTimeoutError) return this.#fail(reason);
    return this.#fail("error" in settled ? settled.error : new Error("attempt abandoned"));
  }

  /** Runs the task; once the signal aborts, a task that ignores it is abandoned after the grace period. */
  #settle(task: () => Promise<unknown>): Promise<Settled> {
    const result = Promise.resolve()
      .then(task)
      .then(
        (value): Settled => ({ ok: true, value }),
        (error: unknown): Settled => ({ ok: false, error }),
      );
    const abandoned = new Promise<Settled>((resolve) => {
      const onAbort = () => {
        const grace = setTimeout(() => resolve({ abandoned: true }), this.abortGraceMs);
        void result.finally(() => clearTimeout(grace));
      };
      if (this.#controller.signal.aborted) onAbort();
      else this.#controller.signal.addEventListener("abort", onAbort, { once: true });
    });
    return Promise.race([result, abandoned]);
  }

  #fail(raw: unknown): AttemptOutcome {
    const error = toRunError(raw, this.run.attempt);
    const isLastAttempt = this.run.attempt >= this.run.maxAttempts;
    if (!error.isRetryable || isLastAttempt) return { kind: "failed", error };
    const delayMs = raw instanceof RetryAfterError ? raw.delayMs : retryDelayMs(this.#backoff(), this.run.attempt);
    return { kind: "retry", error, delayMs };
  }

  #backoff(): Backoff {
    return this.implementation.definition.defaults.backoff;
  }
}

function toRunError(raw: unknown, attempt: number): RunError {
  const error = raw instanceof Error ? raw : new Error(typeof raw === "string" ? raw : JSON.stringify(raw));
  return {
    name: error.name,
    message: error.message,
    stack: error.stack ?? null,
    attempt,
    isRetryable: !(error instanceof NonRetryableError || error instanceof StepDefinitionError),
  };
}
