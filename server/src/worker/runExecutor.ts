import { limitKeySchema } from "@conveyor/shared";
import { context, type Span, SpanKind, trace } from "@opentelemetry/api";
import DataLoader from "dataloader";
import pLimit, { type LimitFunction } from "p-limit";
import type { Database } from "../db/client.js";
import type { AppLogger } from "../logger.js";
import { metrics } from "../metrics/metrics.js";
import { recordAttemptsWithFlows } from "../runs/recordAttemptsWithFlows.js";
import type { ClaimedRun } from "../runs/sql/claimRuns.js";
import { deferRun } from "../runs/sql/deferRun.js";
import { type Activity, recordActivity } from "../runs/sql/recordActivity.js";
import type { AttemptOutcome } from "../runs/sql/recordOutcomes.js";
import { takeRateSlot } from "../runs/sql/takeRateSlot.js";
import { contextOf, endSpan, tracer } from "../tracing/tracing.js";
import { AttemptActivity } from "./attemptActivity.js";
import { AttemptBatcher } from "./attemptBatcher.js";
import type { JobDisposition } from "./jobAdapter.js";
import { RunAttempt } from "./runAttempt.js";
import type { TaskImplementation } from "./taskImplementation.js";

export interface RunExecutorOptions {
  db: Database;
  workerId: string;
  /** Attempts whose task code runs at once in this process. */
  concurrency: number;
  implementations: ReadonlyMap<string, TaskImplementation>;
  abortGraceMs: number;
  logger: AppLogger;
  /** Whether the task is paused now: a job fetched before the pause is put back, not started. */
  isTaskPaused(task: string): boolean;
  /** Called when a claim found the run's task or queue paused before this worker knew of it. */
  onPauseMissed(): void;
}

/** An attempt's outcome was refused because another attempt, or the queue, holds its run now. */
export class AttemptSupersededError extends Error {
  override name = "AttemptSupersededError";
  constructor(runId: string, attempt: number) {
    super(`attempt ${attempt} of run ${runId} no longer holds the run; its job is left to whoever does`);
  }
}

/** The job of a recorded outcome: a finished run needs none, any other got its next one under the same key. */
const dispositionAfter: Record<AttemptOutcome["kind"], "complete" | "replaced"> = {
  succeeded: "complete",
  failed: "complete",
  retry: "replaced",
  requeue: "replaced",
  suspend: "replaced",
  defer: "replaced",
};

/** How an attempt outcome is named in the metrics. */
const outcomeLabel: Record<AttemptOutcome["kind"], string> = {
  succeeded: "succeeded",
  failed: "failed",
  retry: "retried",
  requeue: "requeued",
  suspend: "suspended",
  defer: "deferred",
};

/** Why an attempt that did not succeed ended, for its span's status. */
function outcomeMessage(outcome: AttemptOutcome): string {
  switch (outcome.kind) {
    case "failed":
    case "retry":
      return outcome.error.message;
    case "requeue":
      return "requeued by a worker shutdown";
    case "suspend":
      return `suspended at step "${outcome.waitpoint.step}"`;
    case "defer":
      return `deferred: ${outcome.reason}`;
    case "succeeded":
      return "succeeded";
  }
}

/** An attempt whose code has run, with its outcome still to record. */
interface StartedAttempt {
  attempt: RunAttempt;
  /** Marks the attempt no longer in flight. */
  finished: () => void;
  outcome: AttemptOutcome;
  span: Span;
}

/** Collects the calls made in one turn of the event loop into one statement. */
function batchOf<K, V>(load: (keys: readonly K[]) => Promise<V[]>): DataLoader<K, V> {
  return new DataLoader(load, { cache: false, maxBatchSize: 1_000, batchScheduleFn: (run) => setImmediate(run) });
}

/**
 * Executes the runs behind graphile-worker jobs: the claim, the attempt (its task's code runs in
 * runAttempt.ts), the recorded outcome, and the job disposition that follows (jobAdapter.ts). Claims, completions and activity of concurrent
 * attempts are batched, claims and completions into the same statement, so a busy worker writes
 * a few statements per batch rather than per run.
 */
export class RunExecutor {
  readonly #inFlight = new Map<RunAttempt, Promise<void>>();
  #isDraining = false;
  /** Claims and outcomes, batched together; every claim is made under this incarnation's worker id. */
  readonly #attempts: AttemptBatcher;
  readonly #activity: DataLoader<Activity, null>;
  readonly #taskSlots: LimitFunction;
  /** Per-task limits inside this process, for tasks that declare `concurrency`. */
  readonly #taskLimits = new Map<string, LimitFunction>();

  constructor(private readonly options: RunExecutorOptions) {
    const { db } = options;
    this.#taskSlots = pLimit(options.concurrency);
    for (const [name, implementation] of options.implementations) {
      const limit = implementation.definition.defaults.concurrency;
      if (limit !== null) this.#taskLimits.set(name, pLimit(limit));
    }
    this.#attempts = new AttemptBatcher((completions, claimRunIds) =>
      recordAttemptsWithFlows(db, options.workerId, completions, claimRunIds),
    );
    this.#activity = batchOf(async (activities) => {
      await recordActivity(db, activities);
      return activities.map(() => null);
    });
  }

  /**
   * Task slots in use now: attempts claiming their run or running its code. An attempt recording
   * its outcome has already freed its slot for the next run.
   */
  get busySlots(): number {
    return this.#taskSlots.activeCount;
  }

  /** Resolves once no attempt is executing in this process. */
  async whenIdle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled(this.#inFlight.values());
  }

  /** Tells the attempts of these runs, if running here, to stop; their results will be discarded. */
  cancel(runIds: readonly string[]): void {
    const doomed = new Set(runIds);
    for (const attempt of this.#inFlight.keys()) {
      if (doomed.has(attempt.run.id)) attempt.cancel();
    }
  }

  /**
   * Runs the attempt a graphile-worker job delivers, and says what becomes of the job (see
   * `JobDisposition`). Throws only on an unexpected error, which fails the job like `failed`.
   */
  async runJob(runId: string, task: string): Promise<JobDisposition> {
    // Checked before the claim, so a run this worker cannot execute is never marked running here.
    const implementation = this.options.implementations.get(task);
    if (!implementation) return { kind: "failed", error: new Error(`worker has no implementation for task "${task}"`) };
    const taskLimit = this.#taskLimits.get(task);
    // A task slot covers the claim and the task's code, so a run is `running` only while its
    // code can run; recording the outcome happens after the slot is freed for the next run.
    const inSlot = () => this.#taskSlots(() => this.#claimAndRun(runId, implementation));
    const started = taskLimit ? await taskLimit(inSlot) : await inSlot();
    if (!("attempt" in started)) return started;
    const { attempt, finished, outcome, span } = started;
    let failure: unknown;
    try {
      await attempt.activity.flush();
      // Cancelled while it ran: the cancellation finished the run and took its job.
      if (attempt.isCancelled) return { kind: "complete" };
      const recorded = await this.#attempts.complete({
        runId: attempt.run.id,
        flowId: attempt.run.flowId,
        attempt: attempt.run.attempt,
        outcome,
        progress: attempt.activity.lastProgress,
      });
      // Refused: the run is no longer this attempt's (a reaper gave it back to the queue while
      // this worker was cut off); its job may be someone else's by now.
      if (!recorded) {
        const superseded = new AttemptSupersededError(attempt.run.id, attempt.run.attempt);
        failure = superseded;
        return { kind: "failed", error: superseded };
      }
      metrics.attemptsFinished.inc({ task: attempt.run.task, outcome: outcomeLabel[outcome.kind] });
      if (outcome.kind === "failed") {
        this.options.logger.warn(
          {
            runId: attempt.run.id,
            attempt: attempt.run.attempt,
            task: attempt.run.task,
            traceId: span.spanContext().traceId,
            error: outcome.error.message,
          },
          "run failed",
        );
      }
      return { kind: dispositionAfter[outcome.kind] };
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      this.#inFlight.delete(attempt);
      finished();
      span.setAttribute("conveyor.outcome", outcomeLabel[outcome.kind]);
      endSpan(span, failure ?? (outcome.kind === "succeeded" ? undefined : outcomeMessage(outcome)));
    }
  }

  /** Claims the run and runs its code, or says what becomes of the job when it does not start here. */
  async #claimAndRun(runId: string, implementation: TaskImplementation): Promise<JobDisposition | StartedAttempt> {
    if (this.#isDraining) return { kind: "released", reason: "worker is shutting down" };
    const { name, defaults, rateLimitKey } = implementation.definition;
    if (this.options.isTaskPaused(name)) return this.#holdPaused(runId);
    // A limit per key needs the run's input, so it is applied after the claim (see RunAttempt).
    if (defaults.rateLimit && !rateLimitKey) {
      const nextWindow = await takeRateSlot(this.options.db, name, defaults.rateLimit);
      if (nextWindow) {
        // To the next window without using an attempt; the run's new job waits for it.
        await deferRun(this.options.db, runId, nextWindow, "rate limit");
        return { kind: "replaced" };
      }
    }
    const claimedAt = Date.now();
    const run = await this.#attempts.claim(runId);
    // Finished, cancelled or not yet due: the job has nothing left to do.
    if (!run) return { kind: "complete" };
    // Paused before this worker heard of it: the claim, which reads the pauses themselves, held it.
    if (run === "paused") {
      this.options.onPauseMissed();
      return this.#holdPaused(runId);
    }
    metrics.attemptsStarted.inc({ task: name });
    // A retry's wait is its backoff, which says nothing about how busy the workers are.
    if (run.attempt === 1) metrics.queueWait.observe({ task: name }, run.waitMs / 1_000);
    const attempt = this.#prepare(run, implementation);
    let finished = () => {};
    this.#inFlight.set(attempt, new Promise<void>((resolve) => (finished = resolve)));
    // The attempt continues the trace of the request that enqueued the run, from its claim to the
    // recorded outcome; the task's code runs inside it, so spans it makes are the attempt's children.
    const enqueuedIn = contextOf(run.traceContext);
    const span = tracer.startSpan(
      `conveyor.attempt ${name}`,
      {
        kind: SpanKind.CONSUMER,
        startTime: claimedAt,
        attributes: { "conveyor.task": name, "conveyor.run_id": run.id, "conveyor.attempt": run.attempt },
      },
      enqueuedIn,
    );
    const started = performance.now();
    const outcome = await context.with(trace.setSpan(enqueuedIn, span), () => attempt.perform());
    metrics.attemptDuration.observe(
      { task: name, outcome: outcomeLabel[outcome.kind] },
      (performance.now() - started) / 1_000,
    );
    return { attempt, finished, outcome, span };
  }

  /**
   * A run of a paused task or queue fetched all the same: its new job carries the task's and
   * queue's flags, which workers skip until the pause ends.
   */
  async #holdPaused(runId: string): Promise<JobDisposition> {
    await deferRun(this.options.db, runId, new Date(), "paused");
    return { kind: "replaced" };
  }

  #prepare(run: ClaimedRun, implementation: TaskImplementation): RunAttempt {
    const activity = new AttemptActivity(
      { runId: run.id, flowId: run.flowId, attempt: run.attempt },
      async (entry) => {
        await this.#activity.load(entry);
      },
      this.options.logger,
    );
    const { rateLimit } = implementation.definition.defaults;
    const { rateLimitKey, name } = implementation.definition;
    const { db } = this.options;
    return new RunAttempt(run, implementation, activity, this.options.abortGraceMs, {
      db,
      takeKeyedRateSlot:
        rateLimit && rateLimitKey
          ? (input) => takeRateSlot(db, `${name}:${limitKeySchema.parse(rateLimitKey.key(input))}`, rateLimit)
          : null,
    });
  }

  /**
   * Stops accepting jobs and waits up to `graceMs` for running attempts; those still running are
   * interrupted and their runs returned to the queue, so none is left `running`.
   */
  async drain(graceMs: number): Promise<void> {
    this.#isDraining = true;
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([Promise.allSettled(this.#inFlight.values()), graceOver]);
    clearTimeout(timer);
    for (const attempt of this.#inFlight.keys()) attempt.interrupt();
    await Promise.allSettled(this.#inFlight.values());
  }
}
