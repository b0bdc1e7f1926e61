import type { LiveEvent, RunEventType, RunProgress } from "@conveyor/shared";
import { progressOf } from "../waitFor.js";

type Payload = Record<string, unknown>;

const text = (value: unknown): string => (typeof value === "string" || typeof value === "number" ? String(value) : "");
const attempt = (payload: Payload) => (payload.attempt === undefined ? "" : `attempt ${text(payload.attempt)}`);

function errorText(value: unknown): string {
  if (!value || typeof value !== "object") return "";
  const error = value as Payload;
  return `${text(error.name)}: ${text(error.message)}`;
}

/** "3/5 Step 3/5", or "3" and the message when the total is unknown. */
export function formatProgress({
  current,
  total,
  message,
}: Pick<RunProgress, "current" | "total" | "message">): string {
  return [total === null ? `${current}` : `${current}/${total}`, message ?? ""].filter(Boolean).join(" ");
}

/** A time to the second, in UTC: "2030-01-02T03:04:05Z". */
export function formatTime(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, "Z");
}

/** What each event says beyond its type. A Record, so a new event type does not compile until it is described here. */
const details: Record<RunEventType, (payload: Payload, event: LiveEvent) => string> = {
  "run.waiting": () => "waiting for the runs it depends on",
  "run.scheduled": (payload) => [`until ${text(payload.runAt)}`, text(payload.reason)].filter(Boolean).join(", "),
  "run.queued": (payload) => (payload.reason === "retry" ? `retry, ${attempt(payload)}` : ""),
  "run.started": (payload) => attempt(payload),
  "run.progress": (_payload, event) => formatProgress(progressOf(event)),
  "run.log": (payload) => `[${text(payload.level)}] ${text(payload.message)}`,
  "run.retrying": (payload) =>
    `${attempt(payload)} failed: ${errorText(payload.error)}; next at ${text(payload.nextAttemptAt)}`,
  "run.requeued": (payload) => [attempt(payload), text(payload.reason)].filter(Boolean).join(", "),
  "run.succeeded": (payload) =>
    [attempt(payload), payload.durationMs === undefined ? "" : `${text(payload.durationMs)} ms`]
      .filter(Boolean)
      .join(", "),
  "run.failed": (payload) => `${attempt(payload)}: ${errorText(payload.error)}`,
  "run.cancelled": (payload) => text(payload.reason),
};

/** What the event says beyond its type, in a few words. */
export function eventDetail(event: LiveEvent): string {
  return details[event.type](event.payload, event);
}

/** One line per event, for `conveyor tail`: time, event id, type, task, run id and detail. */
export function formatEventLine(event: LiveEvent): string {
  return [
    event.createdAt.toISOString(),
    String(event.id),
    event.type.padEnd(13),
    event.task ?? "-",
    event.runId ?? "-",
    eventDetail(event),
  ]
    .join("  ")
    .trimEnd();
}
