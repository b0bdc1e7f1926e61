import { z } from "zod";
import type { EventDefinition, EventPayload } from "./eventDefinitions.js";

/** How the delay before a retry grows with each failed attempt. */
export const backoffSchema = z.object({
  /** Delay after the first failed attempt, in milliseconds. */
  initialDelayMs: z.number().int().min(0).max(86_400_000),
  /** Multiplier applied for every further failed attempt. */
  factor: z.number().min(1).max(10),
  /** Upper bound of one delay, in milliseconds, before jitter. */
  maxDelayMs: z
    .number()
    .int()
    .min(0)
    .max(7 * 86_400_000),
});
export type Backoff = z.infer<typeof backoffSchema>;

/** Options a task runs with unless an enqueue overrides them. */
export const taskDefaultsSchema = z.object({
  /** Serial named queue (one run at a time across the cluster); null runs in parallel. */
  queue: z.string().nullable(),
  /** Lower numbers run first, as in graphile-worker. */
  priority: z.number().int(),
  /** Attempts before the run fails for good. */
  maxAttempts: z.number().int().min(1),
  backoff: backoffSchema,
  /** The attempt's AbortSignal fires after this many milliseconds. */
  timeoutMs: z.number().int().min(1),
  /** At most this many attempts of the task at once in one worker process; null: only the worker's limit. */
  concurrency: z.number().int().min(1).nullable(),
  /** At most `max` attempts started per `perMs` across the whole cluster (fixed windows), like Celery's rate_limit. */
  rateLimit: z.object({ max: z.number().int().min(1), perMs: z.number().int().min(1_000).max(86_400_000) }).nullable(),
});
export type TaskDefaults = z.infer<typeof taskDefaultsSchema>;

export const defaultTaskDefaults: TaskDefaults = {
  queue: null,
  priority: 0,
  maxAttempts: 3,
  backoff: { initialDelayMs: 1_000, factor: 2, maxDelayMs: 3_600_000 },
  timeoutMs: 5 * 60_000,
  concurrency: null,
  rateLimit: null,
};

/** Starts a run of a task whenever its event is emitted (`defineTask({ on: [...] })`). */
export interface TaskTrigger<TaskIn = unknown> {
  readonly event: EventDefinition;
  /** Only payloads it accepts start a run; every payload when absent. Called with the validated payload. */
  accepts?(payload: unknown): boolean;
  /** The run's input, made from the (validated) payload. */
  input(payload: unknown): TaskIn;
}

/** A trigger that maps the event's payload to the task's input, and may filter it. */
export function onEvent<E extends EventDefinition, TaskIn>(
  event: E,
  options: { filter?: (payload: EventPayload<E>) => boolean; input: (payload: EventPayload<E>) => TaskIn },
): TaskTrigger<TaskIn> {
  const { filter, input } = options;
  return Object.freeze(filter ? { event, accepts: filter, input } : { event, input });
}

/** At most `maxPerKey` runs of the task at once per key, across the cluster; keys take turns. */
export interface KeyConcurrency<In = unknown> {
  readonly maxPerKey: number;
  key(input: In): string;
}

/** The task's `defaults.rateLimit` counted per key (a customer, a host) rather than for the task. */
export interface RateLimitKey<In = unknown> {
  key(input: In): string;
}

/** The most runs of one key that may run at once: each is a serial graphile-worker queue. */
export const maxPerKeyLimit = 100;

/** A concurrency or rate-limit key: a user id, a tenant, a host name. */
export const limitKeySchema = z.string().min(1).max(200);

/** A task as every side sees it: its name, its schemas and its defaults. No implementation. */
export interface TaskDefinition<
  Name extends string = string,
  Input extends z.ZodType = z.ZodType,
  Output extends z.ZodType = z.ZodType,
> {
  readonly name: Name;
  readonly description: string;
  readonly input: Input;
  readonly output: Output;
  readonly defaults: TaskDefaults;
  /** Events that start a run of it. */
  readonly on: readonly TaskTrigger<z.input<Input>>[];
  /** Per-key concurrency (with fair turns between keys), or null. */
  readonly keyConcurrency: KeyConcurrency<z.output<Input>> | null;
  /** When set, `defaults.rateLimit` applies to each key separately. */
  readonly rateLimitKey: RateLimitKey<z.output<Input>> | null;
}

/** What a caller passes when enqueueing the task (defaults may be omitted). */
export type TaskInput<T extends TaskDefinition> = z.input<T["input"]>;
/** What the implementation receives, after the schema applied its defaults. */
export type TaskParsedInput<T extends TaskDefinition> = z.output<T["input"]>;
/** What a succeeded run holds as its output. */
export type TaskOutput<T extends TaskDefinition> = z.output<T["output"]>;

export const taskNameSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[a-z][a-z0-9]*(?:[._-][a-z0-9]+)*$/, "must be lower-case words joined by '.', '_' or '-'");

/** Declares a task once; the browser, the API and the worker all import this declaration. */
export function defineTask<const Name extends string, Input extends z.ZodType, Output extends z.ZodType>(spec: {
  name: Name;
  description: string;
  input: Input;
  output: Output;
  defaults?: Partial<TaskDefaults>;
  /** Events that start a run: an event whose payload is the task's input, or `onEvent(event, { input })`. */
  on?: readonly (TaskTrigger<z.input<Input>> | EventDefinition<string, z.ZodType<z.input<Input>>>)[];
  /** Runs with the same key run at most `maxPerKey` at once across the cluster; other keys are not starved. */
  concurrencyKey?: (input: z.output<Input>) => string;
  /** Required with `concurrencyKey`. */
  maxPerKey?: number;
  /** `defaults.rateLimit`, counted per key when `key` is given. */
  rateLimit?: { max: number; perMs: number; key?: (input: z.output<Input>) => string };
}): TaskDefinition<Name, Input, Output> {
  taskNameSchema.parse(spec.name);
  const { key: rateKey, ...rateLimit } = spec.rateLimit ?? {};
  const defaults = taskDefaultsSchema.parse({
    ...defaultTaskDefaults,
    ...spec.defaults,
    ...(spec.rateLimit ? { rateLimit } : {}),
  });
  if (spec.concurrencyKey && defaults.queue !== null) {
    throw new Error(`task "${spec.name}": a task limited per key runs in its keys' queues, so it cannot name a queue`);
  }
  if ((spec.concurrencyKey === undefined) !== (spec.maxPerKey === undefined)) {
    throw new Error(`task "${spec.name}": concurrencyKey and maxPerKey go together`);
  }
  const maxPerKey = z
    .number()
    .int()
    .min(1)
    .max(maxPerKeyLimit)
    .parse(spec.maxPerKey ?? 1);
  const on = (spec.on ?? []).map(
    (trigger): TaskTrigger<z.input<Input>> =>
      "payload" in trigger ? { event: trigger, input: (payload: z.input<Input>) => payload } : trigger,
  );
  return Object.freeze({
    name: spec.name,
    description: spec.description,
    input: spec.input,
    output: spec.output,
    defaults,
    on: Object.freeze(on),
    keyConcurrency: spec.concurrencyKey ? Object.freeze({ maxPerKey, key: spec.concurrencyKey }) : null,
    rateLimitKey: rateKey ? Object.freeze({ key: rateKey }) : null,
  });
}
