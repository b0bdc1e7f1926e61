import { EventEmitter } from "node:events";
import { hostname } from "node:os";
import { type CronItem, parseCronItems, run, type TaskList, type WorkerEvents } from "graphile-worker";
import type pg from "pg";
import { ControlListener } from "../control/controlListener.js";
import type { Database } from "../db/client.js";
import { type AppLogger, toGraphileLogger } from "../logger.js";
import { resolvesWithin } from "../resolvesWithin.js";
import { markStopped, registerWorker } from "../workers/sql/heartbeat.js";
import type { reapDeadWorkers } from "../workers/sql/reapDeadWorkers.js";
import { HeartbeatLoop } from "./heartbeatLoop.js";
import { historyMaintenanceTask, maintenanceCronItem } from "./historyMaintenance.js";
import { runJobTask } from "./jobAdapter.js";
import { PausedFlags } from "./pausedFlags.js";
import { releaseOncePool } from "./releaseOncePool.js";
import { RunExecutor } from "./runExecutor.js";
import { watchRunner } from "./runnerFailures.js";
import type { TaskImplementation } from "./taskImplementation.js";

export interface WorkerOptions {
  /**
   * Sessions on DIRECT_DATABASE_URL: graphile-worker's runner (it LISTENs and prepares its
   * statements, and takes a connection per job fetch and completion) and the schema lock.
   */
  directPool: pg.Pool;
  /** Conveyor's own statements, on DATABASE_URL (which may be a pooler in transaction mode). */
  db: Database;
  /** For the worker's own LISTEN connection (cancellations, pauses): DIRECT_DATABASE_URL. */
  directUrl: string;
  /** The tasks this worker runs; jobs of other tasks are left to other workers. */
  implementations: readonly TaskImplementation[];
  /** Task slots: attempts whose code runs at once (WORKER_CONCURRENCY, 24 by default). */
  concurrency: number;
  /** Jobs locked ahead per fetch (WORKER_LOCAL_QUEUE_SIZE); 0, the default, disables graphile-worker's local queue. */
  localQueueSize: number;
  /** How long a shutdown waits for running attempts before returning them to the queue (SHUTDOWN_GRACE_MS, 10 s). */
  shutdownGraceMs: number;
  /** After an attempt's signal aborts (timeout, shutdown), how long its task has to settle (ABORT_GRACE_MS, 5 s). */
  abortGraceMs: number;
  /**
   * How long a worker keeps trying to start over after a failure before it exits for its supervisor
   * to restart it (WORKER_RECOVERY_TIMEOUT_MS, 5 min).
   */
  recoveryTimeoutMs: number;
  /** Called when the worker gives up for good (after `recoveryTimeoutMs`); `npm start` exits non-zero. */
  onFatal: (error: Error) => void;
  /** How often this worker says it is alive, and looks for workers that stopped saying so (WORKER_HEARTBEAT_MS, 5 s). */
  heartbeatMs: number;
  /** A worker silent for this long is declared dead and its jobs are unlocked (WORKER_DEAD_AFTER_MS, 20 s). */
  deadAfterMs: number;
  /** Succeeded runs older than this are dropped, a day's partition at a time, by an hourly job (SUCCEEDED_RETENTION_MS, 7 days). */
  succeededRetentionMs: number;
  /** Any event (and overview rollup) older than this is dropped by the same job (EVENT_RETENTION_MS, 30 days). */
  eventRetentionMs: number;
  /** The process's logger; the worker's lines carry its id. */
  logger: AppLogger;
  /** How often to look for jobs that became due without a notification (retries, scheduled runs); 1 s by default. */
  pollIntervalMs?: number;
  /** Extra graphile-worker tasks (the schedules tick); none by default. */
  extraTasks?: TaskList;
  /** Their cron items; none by default. */
  extraCronItems?: CronItem[];
}

/**
 * One life of a worker: a worker id, its graphile-worker runner, its heartbeat and its control
 * listener. When any of them can no longer work, the incarnation reports the failure once; the
 * worker then abandons it and starts another under a new id (see `startWorker`).
 */
export interface WorkerIncarnation {
  readonly workerId: string;
  readonly executor: RunExecutor;
  /** When the heartbeat last reached the database (epoch ms). */
  readonly lastHeartbeatAt: number;
  /** Looks for dead workers now instead of at the next heartbeat; for tests and operators. */
  reapNow(alsoWorkerIds?: readonly string[]): ReturnType<typeof reapDeadWorkers>;
  /** Drains (see `RunExecutor.drain`) and stops fetching jobs. */
  stop(): Promise<void>;
  /**
   * After a failure: stops the heartbeat at once, gives running attempts a moment to record
   * their outcome, interrupts the rest and lets go of everything without waiting on a database
   * that may be gone. Its runs go back to the queue when the next incarnation reaps it.
   */
  abandon(): Promise<void>;
}

/** Jobs graphile-worker hands over per task slot; see `concurrentJobs` below. */
export const jobsPerTaskSlot = 2;

/** After a failure, how long running attempts get to record their outcome before they are interrupted. */
const abandonGraceMs = 2_000;
/**
 * graphile-worker aborts its own jobs this long after Conveyor's drain could at most take (the
 * shutdown grace, then the abort grace): its abort is a last resort that must never come first.
 */
const runnerAbortMarginMs = 10_000;

/**
 * Registers a new worker id and starts working under it; `onFailure` is called once if it stops
 * being able to. The parts: the executor (claim → task → outcome → job disposition, in
 * `runExecutor.ts`), graphile-worker's runner with the job adapter (`jobAdapter.ts`) and the
 * history maintenance, the heartbeat loop, the control listener, and the watch on the runner.
 */
export async function startIncarnation(
  options: WorkerOptions,
  onFailure: (reason: string) => void,
): Promise<WorkerIncarnation> {
  const workerId = `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
  const logger = options.logger.child({ workerId });
  const implementations = new Map(options.implementations.map((item) => [item.definition.name, item]));
  const paused = new PausedFlags(options.db, logger);
  await paused.refresh();
  const executor = new RunExecutor({
    isTaskPaused: (task) => paused.isTaskPaused(task),
    onPauseMissed: () => void paused.refresh(),
    db: options.db,
    workerId,
    concurrency: options.concurrency,
    implementations,
    abortGraceMs: options.abortGraceMs,
    logger,
  });
  // graphile-worker locks jobs under ids of its own; a dead worker's locks are found by these.
  const lockIds = new Set<string>();
  const jobsInFlight = new Set<string>();
  const heartbeats = new HeartbeatLoop({
    db: options.db,
    workerId,
    lockIds,
    // With a local queue, fetched jobs wait locked before they run: not stray, so left alone.
    jobsInFlight: options.localQueueSize > 0 ? null : jobsInFlight,
    heartbeatMs: options.heartbeatMs,
    deadAfterMs: options.deadAfterMs,
    afterBeat: () => paused.refresh(),
    onSilent: (reason) => fail(reason),
    logger,
  });
  const runTask = runJobTask({ executor, lockIds, jobsInFlight, heartbeats });
  const taskList: TaskList = {
    ...Object.fromEntries([...implementations.keys()].map((name) => [name, runTask])),
    ...historyMaintenanceTask({ ...options, logger }),
    ...options.extraTasks,
  };

  await registerWorker(options.db, {
    id: workerId,
    host: hostname(),
    pid: process.pid,
    concurrency: options.concurrency,
    tasks: [...implementations.keys()],
  });
  const events: WorkerEvents = new EventEmitter();
  events.on("pool:create", ({ workerPool }) => lockIds.add(workerPool.id));
  events.on("worker:create", ({ worker }) => lockIds.add(worker.workerId));

  const runner = await run({
    pgPool: releaseOncePool(options.directPool),
    taskList,
    parsedCronItems: parseCronItems([maintenanceCronItem, ...(options.extraCronItems ?? [])]),
    noHandleSignals: true,
    // A paused task's or queue's jobs stay where they are, skipped by every worker.
    forbiddenFlags: () => paused.current,
    logger: toGraphileLogger(logger),
    events,
    preset: {
      worker: {
        // More jobs in flight than task slots: while some attempts run their task, others wait for
        // their claim or outcome to be recorded, so database round trips never leave a task slot idle.
        concurrentJobs: options.concurrency * jobsPerTaskSlot,
        pollInterval: options.pollIntervalMs ?? 1_000,
        ...(options.localQueueSize > 0 ? { localQueue: { size: options.localQueueSize } } : {}),
        completeJobBatchDelay: 0,
        failJobBatchDelay: 0,
        gracefulShutdownAbortTimeout: options.shutdownGraceMs + options.abortGraceMs + runnerAbortMarginMs,
      },
    },
  });
  let isEnding = false;
  let hasFailed = false;
  const fail = (reason: string) => {
    if (isEnding || hasFailed) return;
    hasFailed = true;
    heartbeats.stop();
    logger.error({ reason }, "worker can no longer work; starting over under a new id");
    onFailure(reason);
  };
  watchRunner(runner, events, fail);
  const control = new ControlListener(
    options.directUrl,
    { onCancel: (runIds) => executor.cancel(runIds), onPausesChanged: () => void paused.refresh() },
    logger,
  );
  try {
    await heartbeats.beatNow();
    await control.start();
  } catch (error) {
    isEnding = true;
    await resolvesWithin(runner.stop(), 1_000);
    await resolvesWithin(control.stop(), 1_000);
    throw error;
  }
  heartbeats.start();
  logger.info({ concurrency: options.concurrency, tasks: [...implementations.keys()] }, "worker started");

  let stopping: Promise<void> | undefined;
  return {
    workerId,
    executor,
    get lastHeartbeatAt() {
      return heartbeats.lastBeatAt;
    },
    reapNow: (alsoWorkerIds) => heartbeats.reapNow(alsoWorkerIds),
    stop() {
      stopping ??= (async () => {
        isEnding = true;
        heartbeats.stop();
        const stopped = runner.stop();
        await executor.drain(options.shutdownGraceMs);
        await stopped;
        await control.stop();
        await markStopped(options.db, workerId).catch(() => {});
        logger.info("worker stopped");
      })();
      return stopping;
    },
    abandon() {
      stopping ??= (async () => {
        isEnding = true;
        heartbeats.stop();
        // Stopped first, so it hands the draining executor no more jobs to refuse.
        const stopped = runner.stop().catch(() => {});
        await resolvesWithin(executor.drain(abandonGraceMs), abandonGraceMs + options.abortGraceMs + 1_000);
        await resolvesWithin(stopped, 2_000);
        await resolvesWithin(control.stop(), 1_000);
      })();
      return stopping;
    },
  };
}
