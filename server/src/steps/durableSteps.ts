import type { EventDefinition, EventPayload, RunStep, StepStatus } from "@conveyor/shared";
import type { z } from "zod";
import type { Executor } from "../db/client.js";
import { describeZodError } from "../errors.js";
import { readSteps } from "./sql/readSteps.js";
import { type RecordedStep, recordStep, type StepRecord } from "./sql/recordStep.js";
import { StepDefinitionError, WaitTimeoutError } from "./stepErrors.js";
import type { Waitpoint } from "./waitpoint.js";

/** Where a suspended attempt stopped: the run waits until `until`, or until its wait is completed. */
export interface Suspension {
  until: Date;
  waitpoint: Waitpoint;
}

/**
 * Thrown through the task's code when it sleeps or waits, to unwind it; the attempt ends as a
 * suspension whatever the code does with it, since the run's state is already recorded.
 */
export class SuspendSignal extends Error {
  override name = "SuspendSignal";
}

/** The attempt lost its run while recording a step; whatever it does next is discarded. */
export class StepRefusedError extends Error {
  override name = "StepRefusedError";
}

export interface WaitForEventOptions<E extends EventDefinition> {
  event: E;
  /** Only an event whose payload contains these values completes the wait. */
  match?: Partial<EventPayload<E>>;
  /** After this long the step throws `WaitTimeoutError`. */
  timeoutMs: number;
}

/**
 * A run's durable steps within one attempt: completed steps return their stored result, sleeps
 * and waits suspend the run without holding a worker slot. Every name may be used once per run.
 */
export class DurableSteps {
  #stored: Promise<Map<string, RunStep>> | undefined;
  readonly #used = new Set<string>();
  #suspension: Suspension | null = null;

  constructor(
    private readonly db: Executor,
    private readonly run: { id: string; attempt: number },
    /**
     * Whether the attempt holds its run: an attempt started before its claim was recorded reads
     * and writes no step until it is, and none at all if it was refused.
     */
    private readonly claimed: Promise<boolean> = Promise.resolve(true),
  ) {}

  /** Set once a sleep or a wait suspended the attempt. */
  get suspension(): Suspension | null {
    return this.#suspension;
  }

  /**
   * Runs `fn` once per run: its result is stored (as JSON) and returned as stored by every later
   * attempt. With a schema, the result is validated when stored and when read back.
   */
  async step<T>(name: string, fn: () => Promise<T>, schema?: z.ZodType<T>): Promise<T> {
    const stored = await this.#begin(name);
    if (stored?.status === "completed") return this.#parse(name, stored.output, schema);
    const startedAt = new Date();
    const value: unknown = JSON.parse(JSON.stringify((await fn()) ?? null));
    const result = this.#parse(name, value, schema);
    await this.#record({ name, kind: "step", status: "completed", output: value, startedAt });
    return result;
  }

  /** Suspends the run for `duration` ms, or until a date; later attempts go straight on once it passed. */
  async sleep(name: string, duration: number | Date): Promise<void> {
    const stored = await this.#begin(name);
    if (stored?.status === "completed") return;
    const until = stored?.waitUntil ?? (duration instanceof Date ? duration : new Date(Date.now() + duration));
    if (until.getTime() <= Date.now()) {
      await this.#record({ name, kind: "sleep", status: "completed", output: null, waitUntil: until });
      return;
    }
    if (!stored) await this.#record({ name, kind: "sleep", status: "waiting", output: null, waitUntil: until });
    this.#suspend(until, { step: name, kind: "sleep", event: null });
  }

  /**
   * Suspends the run until `event` is emitted with a payload containing `match`, or the step is
   * completed through `runs.complete`; returns the payload. Throws `WaitTimeoutError` after `timeoutMs`.
   */
  async waitForEvent<E extends EventDefinition>(
    name: string,
    options: WaitForEventOptions<E>,
  ): Promise<EventPayload<E>> {
    const { event } = options;
    let stored = await this.#begin(name);
    if (stored && stored.status === "waiting" && stored.waitUntil && stored.waitUntil.getTime() <= Date.now()) {
      const outcome = await this.#record({
        name,
        kind: "wait",
        status: "timed_out",
        output: null,
        waitUntil: stored.waitUntil,
        eventName: event.name,
      });
      stored = outcome.status === "timed_out" ? { ...stored, status: "timed_out" } : await this.#reread(name);
    }
    // The payload schema is E's own, so what it parses is E's payload.
    if (stored?.status === "completed") return this.#parse(name, stored.output, event.payload) as EventPayload<E>;
    if (stored?.status === "timed_out") throw new WaitTimeoutError(name, event.name, stored.waitUntil ?? new Date());
    const until = stored?.waitUntil ?? new Date(Date.now() + options.timeoutMs);
    if (!stored) {
      await this.#record({
        name,
        kind: "wait",
        status: "waiting",
        output: null,
        waitUntil: until,
        eventName: event.name,
        match: options.match ? JSON.parse(JSON.stringify(options.match)) : null,
      });
    }
    this.#suspend(until, { step: name, kind: "wait", event: event.name });
  }

  async #begin(name: string): Promise<RunStep | undefined> {
    if (this.#suspension) throw new SuspendSignal(`the run is suspended at step "${this.#suspension.waitpoint.step}"`);
    if (this.#used.has(name)) throw new StepDefinitionError(`step name "${name}" is used twice in run ${this.run.id}`);
    this.#used.add(name);
    await this.#holdsRun();
    this.#stored ??= readSteps(this.db, this.run.id).then((steps) => new Map(steps.map((step) => [step.name, step])));
    return (await this.#stored).get(name);
  }

  async #holdsRun(): Promise<void> {
    if (!(await this.claimed)) throw new StepRefusedError(`attempt ${this.run.attempt} was refused run ${this.run.id}`);
  }

  async #reread(name: string): Promise<RunStep | undefined> {
    await this.#holdsRun();
    return (await readSteps(this.db, this.run.id)).find((step) => step.name === name);
  }

  #suspend(until: Date, waitpoint: Waitpoint): never {
    this.#suspension = { until, waitpoint };
    throw new SuspendSignal(`the run is suspended at step "${waitpoint.step}" until ${until.toISOString()}`);
  }

  async #record(
    step: Pick<StepRecord, "name" | "kind" | "status" | "output"> & Partial<StepRecord>,
  ): Promise<{ status: StepStatus }> {
    const recorded: RecordedStep = await recordStep(this.db, {
      runId: this.run.id,
      attempt: this.run.attempt,
      waitUntil: null,
      eventName: null,
      match: null,
      startedAt: null,
      ...step,
    });
    if (!recorded.held) throw new StepRefusedError(`attempt ${this.run.attempt} no longer holds run ${this.run.id}`);
    return recorded.stored;
  }

  #parse<T>(name: string, value: unknown, schema?: z.ZodType<T>): T {
    if (!schema) return value as T;
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      throw new StepDefinitionError(
        `step "${name}" result does not match its schema: ${describeZodError(parsed.error)}`,
      );
    }
    return parsed.data;
  }
}
