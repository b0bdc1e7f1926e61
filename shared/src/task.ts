import { z } from "zod";

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
}): TaskDefinition<Name, Input, Output> {
  taskNameSchema.parse(spec.name);
  const defaults = taskDefaultsSchema.parse({ ...defaultTaskDefaults, ...spec.defaults });
  return Object.freeze({
    name: spec.name,
    description: spec.description,
    input: spec.input,
    output: spec.output,
    defaults,
  });
}
