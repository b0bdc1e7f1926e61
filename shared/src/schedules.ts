import { z } from "zod";
import { flowSpecSchema } from "./flows.js";
import { pageDirectionSchema, pageLimitSchema } from "./pagination.js";
import { type EnqueueOptions, enqueueOptionsSchema } from "./runs.js";
import { taskNameSchema } from "./task.js";

/** Limits of the schedules domain; each is named in the error that enforces it. */
export const scheduleLimits = {
  /** Fire times one `schedules.preview` returns at most. */
  previewCount: 50,
  /**
   * Longest backfill window: 7 days. A window much longer than the runs' idempotency keys live
   * would mostly re-enqueue work nobody waits for any more.
   */
  backfillWindowMs: 7 * 86_400_000,
} as const;

export const scheduleNameSchema = z.string().trim().min(1).max(200);

/**
 * A 5-field cron expression (minute hour day-of-month month day-of-week) or a nickname such as
 * `@daily`. Only its shape is checked here; the server parses it and names what is wrong.
 */
export const cronExpressionSchema = z.string().trim().min(1).max(200);

/** An IANA timezone name such as `Europe/Berlin`; the server checks that it exists. */
export const timezoneSchema = z.string().trim().min(1).max(64);

export const backfillWindowMsSchema = z
  .number()
  .int()
  .min(0)
  .max(
    scheduleLimits.backfillWindowMs,
    `at most ${scheduleLimits.backfillWindowMs} ms, 7 days (limit backfillWindowMs)`,
  );

const scheduleTargetShapes = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("task"),
    task: taskNameSchema,
    /** Checked against the task's own schema by the server, when the schedule is saved and at each fire. */
    input: z.unknown(),
    options: enqueueOptionsSchema.optional(),
  }),
  z.strictObject({ kind: z.literal("flow"), flow: flowSpecSchema }),
]);

/** What a schedule enqueues at each fire time: one run of a task, or a whole flow. */
export const scheduleTargetSchema = scheduleTargetShapes.superRefine((target, ctx) => {
  for (const { path, options } of optionsOf(target)) {
    // Both are fixed values, and a schedule enqueues again and again: a fixed runAt is soon in
    // the past, and a fixed key would fold every later fire into the first run.
    if (options.runAt !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: [...path, "runAt"],
        message: "a schedule fires repeatedly, so a fixed runAt cannot apply: use delayMs",
      });
    }
    if (options.idempotencyKey !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: [...path, "idempotencyKey"],
        message: "a schedule gives each fire time its own key (schedule:<id>:<fire time>); leave it out",
      });
    }
  }
});
export type ScheduleTarget = z.infer<typeof scheduleTargetSchema>;

/** Every set of enqueue options in a target, with its path inside the target. */
function optionsOf(
  target: z.output<typeof scheduleTargetShapes>,
): { path: (string | number)[]; options: EnqueueOptions }[] {
  const places: { path: (string | number)[]; options: EnqueueOptions | undefined }[] = [];
  if (target.kind === "task") {
    places.push({ path: [], options: target.options });
  } else {
    const { flow } = target;
    switch (flow.kind) {
      case "chain":
        for (const [index, step] of flow.steps.entries()) {
          places.push({ path: ["flow", "steps", index], options: step.options });
        }
        break;
      case "group":
        for (const [index, member] of flow.members.entries()) {
          places.push({ path: ["flow", "members", index], options: member.options });
        }
        places.push({ path: ["flow", "callback"], options: flow.callback?.options });
        break;
      case "dag":
        for (const [index, node] of flow.nodes.entries()) {
          places.push({ path: ["flow", "nodes", index], options: node.options });
        }
        break;
    }
  }
  return places.flatMap(({ path, options }) => (options ? [{ path: [...path, "options"], options }] : []));
}

export const createScheduleInputSchema = z.strictObject({
  /** Unique; how people and logs refer to the schedule. */
  name: scheduleNameSchema,
  cron: cronExpressionSchema,
  /** The timezone the expression is read in, so `0 9 * * *` stays at 9:00 across DST; UTC by default. */
  timezone: timezoneSchema.default("UTC"),
  target: scheduleTargetSchema,
  /** A disabled schedule keeps its definition and never fires; true by default. */
  enabled: z.boolean().default(true),
  /**
   * After downtime, missed fire times younger than this are still enqueued; older ones are
   * skipped. 0 (the default) enqueues only the fire time that is due now.
   */
  backfillWindowMs: backfillWindowMsSchema.default(0),
});
export type CreateScheduleInput = z.input<typeof createScheduleInputSchema>;

/** Changes the fields given and keeps the others. */
export const updateScheduleInputSchema = z.strictObject({
  id: z.uuid(),
  name: scheduleNameSchema.optional(),
  cron: cronExpressionSchema.optional(),
  timezone: timezoneSchema.optional(),
  target: scheduleTargetSchema.optional(),
  enabled: z.boolean().optional(),
  backfillWindowMs: backfillWindowMsSchema.optional(),
});
export type UpdateScheduleInput = z.input<typeof updateScheduleInputSchema>;

export const scheduleIdInputSchema = z.strictObject({ id: z.uuid() });

export const listSchedulesInputSchema = z.strictObject({
  /** The name of the last schedule of the previous page: listings are ordered by name. */
  cursor: scheduleNameSchema.optional(),
  limit: pageLimitSchema,
  direction: pageDirectionSchema,
});
export type ListSchedulesInput = z.input<typeof listSchedulesInputSchema>;

/** The next fire times of an expression, for a form to show before anything is saved. */
export const previewScheduleInputSchema = z.strictObject({
  cron: cronExpressionSchema,
  timezone: timezoneSchema.default("UTC"),
  count: z
    .number()
    .int()
    .min(1)
    .max(scheduleLimits.previewCount, `at most ${scheduleLimits.previewCount} fire times (limit previewCount)`)
    .default(5),
  /** Fire times strictly after this instant; now by default. */
  after: z.date().optional(),
});
export type PreviewScheduleInput = z.input<typeof previewScheduleInputSchema>;

export const schedulePreviewSchema = z.object({
  /** The expression in words, with its timezone: "At 02:30 (Europe/Berlin)". */
  description: z.string(),
  next: z.array(z.date()),
});
export type SchedulePreview = z.infer<typeof schedulePreviewSchema>;

export const scheduleSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  cron: z.string(),
  timezone: z.string(),
  target: scheduleTargetSchema,
  enabled: z.boolean(),
  backfillWindowMs: z.number().int(),
  /** The expression in words, with its timezone. */
  description: z.string(),
  /** The latest fire time enqueued (the scheduled time, not when the tick ran). */
  lastFiredAt: z.date().nullable(),
  /** The next fire time; null while the schedule is disabled or its expression never fires again. */
  nextFireAt: z.date().nullable(),
  createdAt: z.date(),
  updatedAt: z.date(),
});
export type Schedule = z.infer<typeof scheduleSchema>;
