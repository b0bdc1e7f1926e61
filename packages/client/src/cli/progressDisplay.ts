import type { LiveEvent } from "@conveyor/shared";
import cliProgress from "cli-progress";
import { progressOf } from "../waitFor.js";
import { eventDetail } from "./formatEvent.js";

/** Shows a run's progress while `conveyor run --watch`, `watch` or `retry --watch` follows it. */
export interface ProgressDisplay {
  /** Reflects one event of the run. */
  show(event: LiveEvent): void;
  /** Leaves the terminal as it was (the bar stays as its last frame). */
  stop(): void;
}

/**
 * Events that change what the run is doing, shown as its status beside the bar. Written out here,
 * not taken from @conveyor/shared's statusAfterEvent: the built CLI runs on plain Node, which
 * cannot load shared's TypeScript sources, so it imports types from there and nothing else.
 */
const statusWords: Partial<Record<LiveEvent["type"], string>> = {
  "run.waiting": "waiting",
  "run.scheduled": "scheduled",
  "run.queued": "queued",
  "run.started": "running",
  "run.retrying": "retrying",
  "run.requeued": "requeued",
  "run.succeeded": "succeeded",
  "run.failed": "failed",
  "run.cancelled": "cancelled",
};

/**
 * On a terminal, a progress bar with the run's status and progress message, redrawn in place; in
 * a pipe or a log file, where a redrawn bar would be noise, one line per event instead.
 */
export function createProgressDisplay(stream: NodeJS.WriteStream, task: string): ProgressDisplay {
  if (!stream.isTTY) {
    return {
      show: (event) => {
        if (event.type === "run.log") return;
        const detail = eventDetail(event);
        stream.write(`${statusWords[event.type] ?? "progress"}${detail ? `: ${detail}` : ""}\n`);
      },
      stop: () => {},
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: `${task} {bar} {value}/{total} {status} {message}`,
      hideCursor: true,
      barsize: 30,
    },
    cliProgress.Presets.shades_classic,
  );
  let isStarted = false;
  let isStopped = false;
  const ensureStarted = () => {
    if (!isStarted) bar.start(1, 0, { status: "", message: "" });
    isStarted = true;
  };
  return {
    show: (event) => {
      if (isStopped) return;
      ensureStarted();
      const status = statusWords[event.type];
      if (event.type === "run.progress") {
        const { current, total, message } = progressOf(event);
        bar.setTotal(total ?? Math.max(current, 1));
        bar.update(current, { message: message ?? "" });
      } else if (event.type === "run.started") {
        // A new attempt starts from scratch; say which one when it is not the first.
        const attempt = typeof event.payload.attempt === "number" ? event.payload.attempt : 1;
        bar.update(0, { status, message: attempt > 1 ? `attempt ${attempt}` : "" });
      } else if (event.type === "run.retrying" || event.type === "run.failed") {
        bar.update({ status, message: eventDetail(event) });
      } else if (status) {
        bar.update({ status });
      }
    },
    stop: () => {
      if (isStarted && !isStopped) bar.stop();
      isStopped = true;
    },
  };
}
