import { z } from "zod";
import { limits } from "./limits.js";
import { pageDirectionSchema, pageLimitSchema } from "./pagination.js";
import { taskNameSchema } from "./task.js";

export const runStatuses = [
  "waiting",
  "scheduled",
  "queued",
  "running",
  "retrying",
  "succeeded",
  "failed",
  "cancelled",
] as const;
export const runStatusSchema = z.enum(runStatuses);
export type RunStatus = z.infer<typeof runStatusSchema>;

/** A terminal run never changes status again (short of an explicit retry). */
export const terminalStatuses = ["succeeded", "failed", "cancelled"] as const satisfies readonly RunStatus[];
export function isTerminal(status: RunStatus): boolean {
  return (terminalStatuses as readonly RunStatus[]).includes(status);
}

/** What a task passes to `progress()`. */
export const progressInputSchema = z.object({
  current: z.number().finite(),
  total: z.number().finite().optional(),
  message: z.string().max(1_000).optional(),
});
export type ProgressInput = z.infer<typeof progressInputSchema>;

export const runProgressSchema = z.object({
  current: z.number(),
  total: z.number().nullable(),
  message: z.string().nullable(),
});
export type RunProgress = z.infer<typeof runProgressSchema>;

export const runErrorSchema = z.object({
  name: z.string(),
  message: z.string(),
  stack: z.string().nullable(),
  /** The attempt that raised it. */
  attempt: z.number().int(),
  /** False when retrying cannot help (invalid input or output, an explicit non-retryable error). */
  isRetryable: z.boolean(),
});
export type RunError = z.infer<typeof runErrorSchema>;

export const runSchema = z.object({
  id: z.uuid(),
  task: z.string(),
  status: runStatusSchema,
  input: z.unknown(),
  output: z.unknown(),
  error: runErrorSchema.nullable(),
  attempts: z.number().int(),
  maxAttempts: z.number().int(),
  timeoutMs: z.number().int(),
  progress: runProgressSchema.nullable(),
  queue: z.string().nullable(),
  priority: z.number().int(),
  runAt: z.date(),
  nextAttemptAt: z.date().nullable(),
  workerId: z.string().nullable(),
  flowId: z.uuid().nullable(),
  /** The node's name within its flow. */
  flowNode: z.string().nullable(),
  idempotencyKey: z.string().nullable(),
  /** The run this one re-runs, if it was made by `runs.rerun`. */
  rerunOf: z.uuid().nullable(),
  scheduleId: z.uuid().nullable(),
  /** The key of a task limited per key (`concurrencyKey`). */
  concurrencyKey: z.string().nullable(),
  createdAt: z.date(),
  startedAt: z.date().nullable(),
  finishedAt: z.date().nullable(),
});
export type Run = z.infer<typeof runSchema>;

/** A listing row: the run without its (possibly large) input and output. */
export const runSummarySchema = runSchema.omit({ input: true, output: true });
export type RunSummary = z.infer<typeof runSummarySchema>;

export const enqueueOptionsSchema = z
  .strictObject({
    priority: z.number().int().min(-1_000).max(1_000).optional(),
    queue: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[\w.:-]+$/, "may hold letters, digits, '_', '.', ':' and '-' only")
      .optional(),
    maxAttempts: z.number().int().min(1).max(100).optional(),
    timeoutMs: z
      .number()
      .int()
      .min(10)
      .max(24 * 3_600_000)
      .optional(),
    runAt: z.date().optional(),
    delayMs: z
      .number()
      .int()
      .min(0)
      .max(365 * 86_400_000)
      .optional(),
    /** Enqueueing again with the same key while it lives returns the existing run instead of a new one. */
    idempotencyKey: z.string().min(1).max(200).optional(),
    /** How long the key holds; 24 hours by default. */
    idempotencyTtlMs: z
      .number()
      .int()
      .min(1_000)
      .max(30 * 86_400_000)
      .optional(),
  })
  .refine((options) => options.runAt === undefined || options.delayMs === undefined, {
    message: "give runAt or delayMs, not both",
    path: ["delayMs"],
  });
export type EnqueueOptions = z.infer<typeof enqueueOptionsSchema>;

/** One run to enqueue; `input` is checked against the task's own schema by the server. */
export const enqueueItemSchema = z.strictObject({
  task: taskNameSchema,
  input: z.unknown(),
  options: enqueueOptionsSchema.optional(),
});
export type EnqueueItem = z.infer<typeof enqueueItemSchema>;

export const enqueueManyInputSchema = z.strictObject({
  items: z
    .array(enqueueItemSchema)
    .min(1)
    .max(limits.enqueueManyItems, `at most ${limits.enqueueManyItems} items per call (limit enqueueManyItems)`),
});

export const runIdInputSchema = z.strictObject({ id: z.uuid() });

export const runIdsInputSchema = z.strictObject({
  ids: z.array(z.uuid()).min(1).max(limits.pageSize, `at most ${limits.pageSize} runs at once (limit pageSize)`),
});

export const rerunInputSchema = z.strictObject({
  id: z.uuid(),
  /** The new run's input, validated against the task; omitted: the old run's input. */
  input: z.unknown().optional(),
});

export const listRunsInputSchema = z.strictObject({
  status: runStatusSchema.optional(),
  task: taskNameSchema.optional(),
  queue: z.string().min(1).max(128).optional(),
  /** Runs of this flow. */
  flowId: z.uuid().optional(),
  /** Runs this schedule enqueued. */
  scheduleId: z.uuid().optional(),
  /** Runs created at or after this instant. */
  createdAfter: z.date().optional(),
  /** Runs created before this instant. */
  createdBefore: z.date().optional(),
  /** A run id, or an idempotency key. */
  search: z.string().trim().min(1).max(200).optional(),
  /** The id of the last run of the previous page. */
  cursor: z.uuid().optional(),
  limit: pageLimitSchema,
  direction: pageDirectionSchema,
});
export type ListRunsInput = z.input<typeof listRunsInputSchema>;
