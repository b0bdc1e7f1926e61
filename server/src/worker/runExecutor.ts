import { limitKeySchema } from "@conveyor/shared";
import { context, type Span, SpanKind, trace } from "@opentelemetry/api";
import DataLoader from "dataloader";
import pLimit, { type LimitFunction } from "p-limit";
import type { Database } from "../db/client.js";
import type { HeldJob } from "../jobs/jobLocks.js";
import type { JobStart } from "../jobs/runJobs.js";
import type { AppLogger } from "../logger.js";
import { type AttemptOutcomeLabel, metrics } from "../metrics/metrics.js";
import { recordAttemptsWithFlows } from "../runs/recordAttemptsWithFlows.js";
import type { ClaimedRun } from "../runs/sql/claimRuns.js";
import { deferRun } from "../runs/sql/deferRun.js";
import { type Activity, recordActivity } from "../runs/sql/recordActivity.js";
import type { AttemptOutcome } from "../runs/sql/recordOutcomes.js";
import { takeRateSlot } from "../runs/sql/takeRateSlot.js";
import { contextOf, endSpan, tracer } from "../tracing/tracing.js";
import { AttemptActivity } from "./attemptActivity.js";
import { AttemptBatcher, type ClaimResult } from "./attemptBatcher.js";
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
const outcomeLabel: Record<AttemptOutcome["kind"], AttemptOutcomeLabel> = {
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
  /** When its code started, by this worker's clock. */
  startedAt: Date;
  /** For an attempt started from its job before its claim was recorded: that claim. */
  claim: Promise<ClaimResult> | null;
}

/** A graphile-worker job as the job adapter hands it over. */
export interface JobDelivery {
  runId: string;
  task: string;
  /** What the job carries to start its attempt before the claim (see `jobStart`); absent: claim first. */
  start: JobStart | null;
  /** When the job was due: the run's wait is measured from it. */
  dueAt: Date;
  /** The job itself, ended with the run's outcome when the run finishes. */
  job: HeldJob | null;
}

const isAccepted = (claim: ClaimResult) => claim !== null && claim !== "paused";

/**
 * Whether the task's runs are claimed before their code starts: a rate limit is decided at the
 * claim (a global one by the claim's turn, a per-key one by the claimed input's key).
 */
function claimsFirst(implementation: TaskImplementation): boolean {
  return implementation.definition.defaults.rateLimit !== null;
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
    this.#attempts = new AttemptBatcher((completions, claims) =>
      recordAttemptsWithFlows(db, options.workerId, completions, claims),
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
   *
   * The attempt starts from the job at once where it can (optimistic start): its claim goes in
   * this worker's next batch, its outcome waits for the claim, and a refused claim aborts it and
   * discards its outcome. Tasks whose limits are decided at the claim (rate limits) claim first.
   */
  async runJob(delivery: JobDelivery): Promise<JobDisposition> {
    // Checked before the claim, so a run this worker cannot execute is never marked running here.
    const implementation = this.options.implementations.get(delivery.task);
    if (!implementation) {
      return { kind: "failed", error: new Error(`worker has no implementation for task "${delivery.task}"`) };
    }
    const start = claimsFirst(implementation) ? null : delivery.start;
    const started = await this.#inSlot(implementation, () =>
      start
        ? this.#startFromJob(delivery.runId, implementation, start, delivery.dueAt)
        : this.#claimAndRun(delivery.runId, implementation),
    );
    if (!("attempt" in started)) return started;
    return this.#finish(started, delivery, implementation);
  }

  /**
   * A task slot covers the claim (if made first) and the task's code, so a run is `running` only
   * while its code can run; recording the outcome happens after the slot is freed for the next run.
   */
  async #inSlot<T>(implementation: TaskImplementation, work: () => Promise<T>): Promise<T> {
    const taskLimit = this.#taskLimits.get(implementation.definition.name);
    const inSlot = () => this.#taskSlots(work);
    return taskLimit ? taskLimit(inSlot) : inSlot();
  }

  async #finish(
    started: StartedAttempt,
    delivery: JobDelivery,
    implementation: TaskImplementation,
  ): Promise<JobDisposition> {
    const { attempt, finished, outcome, span, claim } = started;
    let failure: unknown;
    let refused = false;
    try {
      // An optimistic start's outcome waits for its claim, unless the claim can travel with it.
      if (claim && !this.#attempts.isClaimPending(attempt.run.id) && !isAccepted(await claim)) refused = true;
      await attempt.activity.flush();
      // Cancelled while it ran: the cancellation finished the run and took its job.
      if (attempt.isCancelled) return { kind: "complete" };
      if (!refused) {
        const recorded = await this.#attempts.complete({
          runId: attempt.run.id,
          flowId: attempt.run.flowId,
          attempt: attempt.run.attempt,
          outcome,
          progress: attempt.activity.lastProgress,
          startedAt: started.startedAt,
          job: delivery.job,
        });
        if (recorded) {
          this.#recordedMetrics(attempt, outcome, span);
          return { kind: dispositionAfter[outcome.kind] };
        }
        // Refused, with its claim: as if the claim alone had been.
        if (claim && !isAccepted(await claim)) refused = true;
      }
      if (!refused) {
        // Refused: the run is no longer this attempt's (a reaper gave it back to the queue while
        // this worker was cut off); its job may be someone else's by now.
        const superseded = new AttemptSupersededError(attempt.run.id, attempt.run.attempt);
        failure = superseded;
        return { kind: "failed", error: superseded };
      }
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      this.#inFlight.delete(attempt);
      finished();
      span.setAttribute("conveyor.outcome", refused ? "refused" : outcomeLabel[outcome.kind]);
      endSpan(
        span,
        failure ?? (refused ? "claim refused" : outcome.kind === "succeeded" ? undefined : outcomeMessage(outcome)),
      );
    }
    // The claim of a start from the job was refused: its outcome is discarded, and the run is
    // claimed the usual way, which says what it needs (nothing, a hold for a pause, or an attempt
    // under the number it really has next).
    metrics.attemptsRefused.inc({ task: implementation.definition.name });
    const again = await this.#inSlot(implementation, () => this.#claimAndRun(delivery.runId, implementation));
    if (!("attempt" in again)) return again;
    return this.#finish(again, delivery, implementation);
  }

  #recordedMetrics(attempt: RunAttempt, outcome: AttemptOutcome, span: Span): void {
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
  }

  /** Starts the attempt from what its job carries; its claim is recorded in the next batch. */
  async #startFromJob(
    runId: string,
    implementation: TaskImplementation,
    start: JobStart,
    dueAt: Date,
  ): Promise<JobDisposition | StartedAttempt> {
    if (this.#isDraining) return { kind: "released", reason: "worker is shutting down" };
    const { name } = implementation.definition;
    if (this.options.isTaskPaused(name)) return this.#holdPaused(runId);
    const run: ClaimedRun = {
      id: runId,
      task: name,
      input: start.input,
      attempt: start.attempt,
      maxAttempts: start.maxAttempts,
      timeoutMs: start.timeoutMs,
      flowId: start.flowId,
      waitMs: Math.max(0, Date.now() - dueAt.getTime()),
      traceContext: start.traceContext,
    };
    // A failed claim statement counts as refused: the run is then claimed the usual way.
    const claim = this.#attempts.claim({ runId, attempt: start.attempt }).catch((): ClaimResult => null);
    const claimed = claim.then(isAccepted);
    const started = this.#run(run, implementation, claimed);
    void claimed.then((accepted) => {
      if (!accepted) started.attempt.refuse();
    });
    return { ...(await started.result), claim };
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
    const run = await this.#attempts.claim({ runId, attempt: null });
    // Finished, cancelled or not yet due: the job has nothing left to do.
    if (run === null || run === "withOutcome") return { kind: "complete" };
    // Paused before this worker heard of it: the claim, which reads the pauses themselves, held it.
    if (run === "paused") {
      this.options.onPauseMissed();
      return this.#holdPaused(runId);
    }
    const started = this.#run(run, implementation, Promise.resolve(true), claimedAt);
    return { ...(await started.result), claim: null };
  }

  /** Runs the attempt's code, in flight from now until its outcome is recorded. */
  #run(
    run: ClaimedRun,
    implementation: TaskImplementation,
    claimed: Promise<boolean>,
    claimedAt = Date.now(),
  ): { attempt: RunAttempt; result: Promise<Omit<StartedAttempt, "claim">> } {
    const { name } = implementation.definition;
    metrics.attemptsStarted.inc({ task: name });
    // A retry's wait is its backoff, which says nothing about how busy the workers are.
    if (run.attempt === 1) metrics.queueWait.observe({ task: name }, run.waitMs / 1_000);
    const attempt = this.#prepare(run, implementation, claimed);
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
    const startedAt = new Date();
    const began = performance.now();
    const result = context
      .with(trace.setSpan(enqueuedIn, span), () => attempt.perform())
      .then((outcome) => {
        metrics.attemptDuration.observe(
          { task: name, outcome: outcomeLabel[outcome.kind] },
          (performance.now() - began) / 1_000,
        );
        return { attempt, finished, outcome, span, startedAt };
      });
    return { attempt, result };
  }

  /**
   * A run of a paused task or queue fetched all the same: its new job carries the task's and
   * queue's flags, which workers skip until the pause ends.
   */
  async #holdPaused(runId: string): Promise<JobDisposition> {
    await deferRun(this.options.db, runId, new Date(), "paused");
    return { kind: "replaced" };
  }

  #prepare(run: ClaimedRun, implementation: TaskImplementation, claimed: Promise<boolean>): RunAttempt {
    const activity = new AttemptActivity(
      { runId: run.id, flowId: run.flowId, attempt: run.attempt },
      async (entry) => {
        await this.#activity.load(entry);
      },
      this.options.logger,
      claimed,
    );
    const { rateLimit } = implementation.definition.defaults;
    const { rateLimitKey, name } = implementation.definition;
    const { db } = this.options;
    return new RunAttempt(run, implementation, activity, this.options.abortGraceMs, {
      db,
      claimed,
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
