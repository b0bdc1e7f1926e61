import { type LogLevel, type ProgressInput, progressInputSchema, type RunProgress } from "@conveyor/shared";
import type { AppLogger } from "../logger.js";
import type { Activity, LogLine } from "../runs/sql/recordActivity.js";
import { activeTraceId } from "../tracing/tracing.js";
import type { RunLogger } from "./taskImplementation.js";

/** At most this many progress writes per second per run; the last value always lands. */
const progressFlushIntervalMs = 100;
/** Log lines kept per attempt; a runaway loop must not fill the events table. */
const maxLogLinesPerAttempt = 5_000;

type Writer = (activity: Activity) => Promise<void>;

/** Buffers one attempt's progress and log lines and writes them at a bounded rate. */
export class AttemptActivity {
  #pendingProgress: RunProgress | null = null;
  #lastProgress: RunProgress | null = null;
  #logs: LogLine[] = [];
  #logCount = 0;
  #timer: NodeJS.Timeout | null = null;
  #lastFlushAt = 0;
  #flushing: Promise<void> = Promise.resolve();
  readonly logger: RunLogger;

  constructor(
    private readonly run: { runId: string; flowId: string | null; attempt: number },
    private readonly write: Writer,
    private readonly appLogger: AppLogger,
    /**
     * Whether the attempt holds its run: nothing is written before its claim is recorded (its
     * events follow its `run.started`), and nothing at all if the claim was refused.
     */
    private readonly claimed: Promise<boolean> = Promise.resolve(true),
  ) {
    const line = (level: LogLevel) => (message: string, fields?: Record<string, unknown>) =>
      this.#log(level, message, fields);
    this.logger = { debug: line("debug"), info: line("info"), warn: line("warn"), error: line("error") };
  }

  /** The most recent progress reported, flushed or not. */
  get lastProgress(): RunProgress | null {
    return this.#lastProgress;
  }

  progress(input: ProgressInput): void {
    const parsed = progressInputSchema.parse(input);
    this.#pendingProgress = { current: parsed.current, total: parsed.total ?? null, message: parsed.message ?? null };
    this.#lastProgress = this.#pendingProgress;
    this.#schedule();
  }

  #log(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
    const traceId = activeTraceId();
    this.appLogger[level](
      { runId: this.run.runId, attempt: this.run.attempt, ...(traceId ? { traceId } : {}), ...fields },
      message,
    );
    this.#logCount += 1;
    if (this.#logCount > maxLogLinesPerAttempt) return;
    const text =
      this.#logCount === maxLogLinesPerAttempt
        ? `log limit of ${maxLogLinesPerAttempt} lines per attempt reached; further lines are not kept`
        : message;
    this.#logs.push({ level, message: text, fields: fields ?? null, at: new Date() });
    this.#schedule();
  }

  #schedule(): void {
    if (this.#timer) return;
    const wait = Math.max(0, this.#lastFlushAt + progressFlushIntervalMs - Date.now());
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.flush();
    }, wait);
  }

  /** Writes whatever is buffered; writes never overlap, so events keep their order. */
  flush(): Promise<void> {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    const progress = this.#pendingProgress;
    const logs = this.#logs;
    this.#pendingProgress = null;
    this.#logs = [];
    this.#lastFlushAt = Date.now();
    if (progress === null && logs.length === 0) return this.#flushing;
    this.#flushing = this.#flushing.then(async () => {
      if (!(await this.claimed)) return;
      await this.write({ ...this.run, progress, logs }).catch((error: unknown) => {
        // Activity is best effort: losing a progress tick must not fail the run.
        this.appLogger.warn({ err: error, runId: this.run.runId }, "could not record run activity");
      });
    });
    return this.#flushing;
  }
}
