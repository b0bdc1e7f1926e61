import type { LiveEvent, LogLevel } from "@conveyor/shared";
import { useLayoutEffect, useRef } from "react";
import { formatProgress } from "../../components/ProgressBar";
import {
  attemptOf,
  failedPayloadSchema,
  logPayloadSchema,
  notePayloadSchema,
  progressOf,
  retryingPayloadSchema,
  startedPayloadSchema,
} from "../../runEvents";
import type { Timeline } from "./useRunEvents";

const clock = new Intl.DateTimeFormat(undefined, {
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  fractionalSecondDigits: 3,
  hourCycle: "h23",
});

type Tone = "error" | "warn" | "quiet";

const logTones: Partial<Record<LogLevel, Tone>> = { error: "error", warn: "warn", debug: "quiet" };

/** The one line an event gets: what happened, in the task's or the server's words. */
function describe(event: LiveEvent): { text: string; tone?: Tone } {
  switch (event.type) {
    case "run.progress": {
      const progress = progressOf(event);
      return { text: progress ? formatProgress(progress) : "" };
    }
    case "run.log": {
      const log = logPayloadSchema.safeParse(event.payload).data;
      if (!log) return { text: "" };
      const fields = log.fields && Object.keys(log.fields).length > 0 ? ` ${JSON.stringify(log.fields)}` : "";
      return { text: `${log.level}: ${log.message}${fields}`, tone: logTones[log.level] };
    }
    case "run.started": {
      const workerId = startedPayloadSchema.safeParse(event.payload).data?.workerId;
      return { text: workerId ? `on ${workerId}` : "" };
    }
    case "run.retrying": {
      const retry = retryingPayloadSchema.safeParse(event.payload).data;
      if (!retry) return { text: "", tone: "warn" };
      const next = clock.format(retry.nextAttemptAt);
      return { text: `${retry.error.name}: ${retry.error.message} · next attempt at ${next}`, tone: "warn" };
    }
    case "run.failed": {
      const error = failedPayloadSchema.safeParse(event.payload).data?.error;
      return { text: error ? `${error.name}: ${error.message}` : "", tone: "error" };
    }
    default: {
      const note = notePayloadSchema.safeParse(event.payload).data;
      const parts = [
        note?.reason,
        note?.runAt && event.type === "run.scheduled" ? `runs at ${clock.format(note.runAt)}` : undefined,
        note?.durationMs !== undefined ? `took ${(note.durationMs / 1000).toFixed(2)} s` : undefined,
      ];
      return { text: parts.filter(Boolean).join(" · ") };
    }
  }
}

/** The run's events, oldest first, following the newest while the reader is at the bottom. */
export function RunTimeline({ timeline }: { timeline: Timeline }) {
  const list = useRef<HTMLOListElement>(null);
  const isAtBottom = useRef(true);
  const { entries, dropped } = timeline;

  useLayoutEffect(() => {
    const element = list.current;
    if (element && isAtBottom.current && entries.length > 0) element.scrollTop = element.scrollHeight;
  }, [entries]);

  const onScroll = () => {
    const element = list.current;
    if (element) isAtBottom.current = element.scrollHeight - element.scrollTop - element.clientHeight < 8;
  };

  return (
    <section className="card" aria-labelledby="timeline-title">
      <h2 id="timeline-title">Timeline</h2>
      {dropped > 0 && <p className="muted">{dropped} earlier events are not shown.</p>}
      <ol className="timeline" data-testid="run-timeline" ref={list} onScroll={onScroll}>
        {entries.map((event) => {
          const { text, tone } = describe(event);
          const attempt = attemptOf(event);
          const iso = event.createdAt.toISOString();
          return (
            <li
              key={event.id}
              className={tone ? `timeline-entry timeline-${tone}` : "timeline-entry"}
              data-event-type={event.type}
            >
              <time dateTime={iso} title={iso}>
                {clock.format(event.createdAt)}
              </time>
              <span className="timeline-type">{event.type.replace(/^run\./, "")}</span>
              <span className="timeline-attempt" title={attempt === undefined ? undefined : `attempt ${attempt}`}>
                {attempt === undefined ? "" : `#${attempt}`}
              </span>
              <span className="timeline-message">{text}</span>
            </li>
          );
        })}
      </ol>
      {entries.length === 0 && <p className="muted">No events recorded.</p>}
    </section>
  );
}
