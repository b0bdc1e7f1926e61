import type { LogLevel, ProgressInput, TaskDefinition, TaskParsedInput } from "@conveyor/shared";
import type { z } from "zod";
import type { DurableSteps } from "../steps/durableSteps.js";

export type RunLogger = Record<LogLevel, (message: string, fields?: Record<string, unknown>) => void>;

/** What a task receives besides its input. */
export interface TaskContext {
  runId: string;
  /** 1-based; the first attempt is 1. */
  attempt: number;
  maxAttempts: number;
  /** Aborts on timeout and on worker shutdown; long tasks should pass it on or check it. */
  signal: AbortSignal;
  /** Reports progress; calls are coalesced, so calling it in a tight loop is fine. */
  progress(progress: ProgressInput): void;
  /** Lines are kept with the run as `run.log` events. */
  logger: RunLogger;
  /**
   * A named step whose result is stored with the run: later attempts (a retry, a resumed sleep or
   * wait, a lost worker's run) get the stored result instead of running it again.
   */
  step: DurableSteps["step"];
  /** Suspends the run for `ms` (or until a date) without holding a worker slot; survives restarts. */
  sleep: DurableSteps["sleep"];
  /**
   * Suspends the run until the event is emitted (matching `match`) or the step is completed
   * through `runs.complete`; throws `WaitTimeoutError` after `timeoutMs`.
   */
  waitForEvent: DurableSteps["waitForEvent"];
}

/** A task's code, bound to its definition so the compiler checks input and output types. */
export interface TaskImplementation<Definition extends TaskDefinition = TaskDefinition> {
  readonly definition: Definition;
  // Method syntax on purpose: a specific implementation must be storable among all of them.
  handle(input: TaskParsedInput<Definition>, context: TaskContext): Promise<z.input<Definition["output"]>>;
}

export function implementTask<Definition extends TaskDefinition>(
  definition: Definition,
  handle: (input: TaskParsedInput<Definition>, context: TaskContext) => Promise<z.input<Definition["output"]>>,
): TaskImplementation<Definition> {
  return { definition, handle };
}
