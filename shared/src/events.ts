import { z } from "zod";
import { type RunStatus, runStatusSchema } from "./runs.js";

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

/** An event as subscribers receive it: with the run's task and queue, for filtering and display. */
export const liveEventSchema = runEventSchema.extend({
  task: z.string().nullable(),
  queue: z.string().nullable(),
});
export type LiveEvent = z.infer<typeof liveEventSchema>;

/** The status a run is in right after an event of this type; progress and logs leave it as it was. */
export const statusAfterEvent: Partial<Record<RunEventType, RunStatus>> = {
  "run.waiting": "waiting",
  "run.scheduled": "scheduled",
  "run.queued": "queued",
  "run.started": "running",
  "run.retrying": "retrying",
  "run.requeued": "queued",
  "run.succeeded": "succeeded",
  "run.failed": "failed",
  "run.cancelled": "cancelled",
};

/** The event types that move a run into `status`. */
export function eventTypesEntering(status: RunStatus): RunEventType[] {
  return runEventTypes.filter((type) => statusAfterEvent[type] === status);
}

/** Events after which a run does not change again (short of an explicit retry). */
export const terminalRunEventTypes: ReadonlySet<RunEventType> = new Set([
  "run.succeeded",
  "run.failed",
  "run.cancelled",
]);

/** An event id as text: events are numbered by a bigint sequence. */
export const eventIdPattern = /^\d{1,18}$/;

/** Resume a subscription after this event (tRPC sends it back on reconnect). */
const lastEventId = z.string().regex(eventIdPattern, "must be an event id").nullish();

export const watchRunInputSchema = z.strictObject({ id: z.uuid(), lastEventId });
export const watchFlowInputSchema = z.strictObject({ id: z.uuid(), lastEventId });
export const eventFeedInputSchema = z.strictObject({
  task: z.string().max(128).optional(),
  /** Only events that move runs into this status (`failed` → `run.failed`). */
  status: runStatusSchema.optional(),
  queue: z.string().max(128).optional(),
  lastEventId,
});
export type EventFeedInput = z.infer<typeof eventFeedInputSchema>;

/**
 * `data.reason` of the PRECONDITION_FAILED error that ends a subscription whose resume point is no
 * longer in the database's history: a failover to an asynchronous replica lost the newest commits,
 * events the subscriber had already been sent among them.
 */
export const historyRewoundReason = "history-rewound";

/**
 * Whether a subscription ended because the database's history was rewound past its resume point.
 * What it showed after the last event still stored never happened as far as the database knows:
 * subscribe again without `lastEventId` and reload what was derived from those events.
 */
export function isHistoryRewound(error: unknown): boolean {
  if (typeof error !== "object" || error === null || !("data" in error)) return false;
  const { data } = error;
  return typeof data === "object" && data !== null && "reason" in data && data.reason === historyRewoundReason;
}
