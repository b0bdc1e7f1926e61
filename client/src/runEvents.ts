import {
  type LiveEvent,
  logLevelSchema,
  type RunEventType,
  type RunProgress,
  runErrorSchema,
  runProgressSchema,
  statusAfterEvent,
} from "@conveyor/shared";
import { z } from "zod";

/*
 * What the UI reads from a run's live events. Payloads arrive as plain records (the events table
 * stores them as JSON), so each is parsed before use; a payload of another shape is ignored
 * rather than trusted.
 */

export { statusAfterEvent } from "@conveyor/shared";

/** Whether an event moves its run to another status (everything but progress and logs). */
export function changesStatus(type: RunEventType): boolean {
  return statusAfterEvent[type] !== undefined;
}

const attempt = z.number().int();
/** Only what the timeline shows of an error; the run itself holds the full record. */
const errorSummary = runErrorSchema.pick({ name: true, message: true });

export const progressPayloadSchema = runProgressSchema.extend({ attempt });
export const logPayloadSchema = z.object({
  attempt,
  level: logLevelSchema,
  message: z.string(),
  fields: z.record(z.string(), z.unknown()).nullish(),
});
export const startedPayloadSchema = z.object({ attempt, workerId: z.string().nullish() });
export const retryingPayloadSchema = z.object({ attempt, error: errorSummary, nextAttemptAt: z.coerce.date() });
export const failedPayloadSchema = z.object({ attempt, error: errorSummary });
/** Events that give no more than a reason (queued, cancelled, requeued…) or a time. */
export const notePayloadSchema = z.object({
  attempt: attempt.optional(),
  reason: z.string().optional(),
  runAt: z.coerce.date().optional(),
  durationMs: z.number().optional(),
});

/** The attempt an event belongs to, when it names one. */
export function attemptOf(event: LiveEvent): number | undefined {
  const value = event.payload.attempt;
  return typeof value === "number" ? value : undefined;
}

/** The progress a `run.progress` event reports, with the attempt that reported it. */
export function progressOf(event: LiveEvent): (RunProgress & { attempt: number }) | undefined {
  if (event.type !== "run.progress") return undefined;
  return progressPayloadSchema.safeParse(event.payload).data;
}
