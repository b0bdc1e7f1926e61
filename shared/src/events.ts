import { z } from "zod";

/** Every event a run can record, in the order a run usually meets them. */
export const runEventTypes = [
  "run.waiting",
  "run.scheduled",
  "run.queued",
  "run.started",
  "run.progress",
  "run.log",
  "run.retrying",
  "run.requeued",
  "run.succeeded",
  "run.failed",
  "run.cancelled",
] as const;
export const runEventTypeSchema = z.enum(runEventTypes);
export type RunEventType = z.infer<typeof runEventTypeSchema>;

export const logLevels = ["debug", "info", "warn", "error"] as const;
export const logLevelSchema = z.enum(logLevels);
export type LogLevel = z.infer<typeof logLevelSchema>;

export const runEventSchema = z.object({
  id: z.number().int(),
  runId: z.uuid().nullable(),
  flowId: z.uuid().nullable(),
  type: runEventTypeSchema,
  payload: z.record(z.string(), z.unknown()),
  createdAt: z.date(),
});
export type RunEvent = z.infer<typeof runEventSchema>;

/** The Postgres channel on which committed events are announced. */
export const eventsChannel = "conveyor_events";
