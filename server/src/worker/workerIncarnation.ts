import { EventEmitter } from "node:events";
import { hostname } from "node:os";
import { type CronItem, parseCronItems, run, type Task, type TaskList, type WorkerEvents } from "graphile-worker";
import type pg from "pg";
import { z } from "zod";
import type { Database } from "../db/client.js";
import { withSchemaLock } from "../db/migrate.js";
import { maintainHistory } from "../history/maintainHistory.js";
import { type AppLogger, toGraphileLogger } from "../logger.js";
import { resolvesWithin } from "../resolvesWithin.js";
import { heartbeat, markStopped, registerWorker } from "../workers/sql/heartbeat.js";
import { reapDeadWorkers } from "../workers/sql/reapDeadWorkers.js";
import { releaseOrphanedLocks } from "../workers/sql/releaseOrphanedLocks.js";
import { ControlListener } from "./controlListener.js";
import { PausedFlags } from "./pausedFlags.js";
import { releaseOncePool } from "./releaseOncePool.js";
import { RunExecutor } from "./runExecutor.js";
import type { TaskImplementation } from "./taskImplementation.js";

export interface WorkerOptions {
  pool: pg.Pool;
  db: Database;
  /** For the worker's own LISTEN connection (cancellations). */
  databaseUrl: string;
  implementations: readonly TaskImplementation[];
  concurrency: number;
  /** Jobs locked ahead per fetch; 0 disables graphile-worker's local queue. */
  localQueueSize: number;
  shutdownGraceMs: number;
  abortGraceMs: number;
  /** How long a worker keeps trying to start over after a failure before it exits for its supervisor to restart it. */
  recoveryTimeoutMs: number;
  /** Called when the worker gives up for good; `npm start` exits non-zero. */
  onFatal: (error: Error) => void;
  /** How often this worker says it is alive, and looks for workers that stopped saying so. */
  heartbeatMs: number;
  /** A worker silent for this long is declared dead and its jobs are unlocked. */
  deadAfterMs: number;
  /** Succeeded runs older than this are dropped, a day's partition at a time, by an hourly job. */
  succeededRetentionMs: number;
  /** Any event (and overview rollup) older than this is dropped by the same job. */
  eventRetentionMs: number;
  logger: AppLogger;
  /** How often to look for jobs that became due without a notification (retries, scheduled runs). */
  pollIntervalMs?: number;
  /** Extra graphile-worker tasks and cron items (the schedules tick). */
  extraTasks?: TaskList;
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

const jobPayloadSchema = z.object({ runId: z.uuid() });

const maintenanceTaskName = "conveyor.history.maintain";

/** After a failure, how long running attempts get to record their outcome before they are interrupted. */
const abandonGraceMs = 2_000;

/** Registers a new worker id and starts working under it; `onFailure` is called once if it stops being able to. */
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
    db: options.db,
    workerId,
    concurrency: options.concurrency,
    implementations,
    abortGraceMs: options.abortGraceMs,
    logger,
  });
  // graphile-worker locks jobs under ids of its own; a dead worker's locks are found by these.
  const lockIds = new Set<string>();
  const runTask: Task = async (payload, helpers) => {
    const { runId } = jobPayloadSchema.parse(payload);
    // The lock must be on record before the run is claimed: a worker killed right after would
    // otherwise hold a job no reaper can find.
    const lockedBy = helpers.job.locked_by;
    if (lockedBy && !lockIds.has(lockedBy)) {
      lockIds.add(lockedBy);
      await heartbeat(options.db, workerId, [...lockIds]);
    }
    await executor.execute(runId, helpers.job.task_identifier);
  };
  const maintain: Task = async () => {
    const report = await withSchemaLock(options.pool, () =>
      maintainHistory(options.db, Date.now(), {
        succeededRetentionMs: options.succeededRetentionMs,
        eventRetentionMs: options.eventRetentionMs,
      }),
    );
    if (report.created.length + report.runPartitions.length + report.eventPartitionsDropped.length > 0) {
      logger.info(report, "maintained the history partitions");
    }
  };
  const taskList: TaskList = {
    ...Object.fromEntries([...implementations.keys()].map((name) => [name, runTask])),
    [maintenanceTaskName]: maintain,
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
    pgPool: releaseOncePool(options.pool),
    taskList,
    parsedCronItems: parseCronItems([
      {
        task: maintenanceTaskName,
        match: "17 * * * *",
        identifier: maintenanceTaskName,
        options: { backfillPeriod: 0 },
      },
      ...(options.extraCronItems ?? []),
    ]),
    noHandleSignals: true,
    // A paused task's or queue's jobs stay where they are, skipped by every worker.
    forbiddenFlags: () => paused.current,
    logger: toGraphileLogger(logger),
    events,
    preset: {
      worker: {
        // More jobs in flight than task slots: while some attempts run their task, others are
        // being claimed or recorded, so database round trips never leave a task slot idle.
        concurrentJobs: options.concurrency * jobsPerTaskSlot,
        pollInterval: options.pollIntervalMs ?? 1_000,
        ...(options.localQueueSize > 0 ? { localQueue: { size: options.localQueueSize } } : {}),
        completeJobBatchDelay: 0,
        failJobBatchDelay: 0,
        // Conveyor drains first; graphile-worker's own abort must only ever come after that.
        gracefulShutdownAbortTimeout: options.shutdownGraceMs + options.abortGraceMs + 10_000,
      },
    },
  });
  let isEnding = false;
  let hasFailed = false;
  let beat: NodeJS.Timeout | undefined;
  const fail = (reason: string) => {
    if (isEnding || hasFailed) return;
    hasFailed = true;
    clearInterval(beat);
    logger.error({ reason }, "worker can no longer work; starting over under a new id");
    onFailure(reason);
  };
  // graphile-worker's runner ends for good when its pool or cron fails (a dropped connection
  // mid-query is enough); it never comes back by itself. A pool that starts shutting down on its
  // own (a worker of it exited with an error) takes no more jobs, however long it takes to end.
  events.on("pool:gracefulShutdown", ({ message }) => fail(`graphile-worker's pool is shutting down: ${message}`));
  events.on("pool:forcefulShutdown", ({ message }) => fail(`graphile-worker's pool is shutting down: ${message}`));
  runner.promise.then(
    () => fail("graphile-worker's runner stopped"),
    (error: unknown) =>
      fail(`graphile-worker's runner failed: ${error instanceof Error ? error.message : String(error)}`),
  );
  const control = new ControlListener(
    options.databaseUrl,
    { onCancel: (runIds) => executor.cancel(runIds), onPausesChanged: () => void paused.refresh() },
    logger,
  );
  try {
    await heartbeat(options.db, workerId, [...lockIds]);
    await control.start();
  } catch (error) {
    isEnding = true;
    await resolvesWithin(runner.stop(), 1_000);
    await resolvesWithin(control.stop(), 1_000);
    throw error;
  }

  const reapNow = async (alsoWorkerIds: readonly string[] = []) => {
    const reaped = await reapDeadWorkers(options.db, workerId, options.deadAfterMs, alsoWorkerIds);
    if (reaped.workers.length > 0) logger.warn(reaped, "declared workers dead and released their jobs");
    return reaped;
  };
  // Locks nobody has on record are rare and only ever `deadAfterMs` old; one look per that period
  // spares a busy jobs table a scan on every heartbeat.
  let lastOrphanSweepAt = Date.now();
  const releaseOrphansWhenDue = async () => {
    if (Date.now() - lastOrphanSweepAt < options.deadAfterMs) return;
    lastOrphanSweepAt = Date.now();
    const { unlockedJobs } = await releaseOrphanedLocks(options.db, options.deadAfterMs);
    if (unlockedJobs > 0) logger.warn({ unlockedJobs }, "released jobs locked under ids no running worker has");
  };
  let lastHeartbeatAt = Date.now();
  let isBeating = false;
  // Other workers reap this one once it has been silent for `deadAfterMs`; it gives up a beat
  // before that, so it never works on runs that have been handed to someone else.
  const silentLimitMs = Math.max(options.deadAfterMs - options.heartbeatMs, options.heartbeatMs);
  beat = setInterval(() => {
    if (Date.now() - lastHeartbeatAt > silentLimitMs) {
      fail(`the heartbeat has not reached the database for ${Date.now() - lastHeartbeatAt} ms`);
      return;
    }
    if (isBeating) return;
    isBeating = true;
    heartbeat(options.db, workerId, [...lockIds])
      .then(async () => {
        lastHeartbeatAt = Date.now();
        await paused.refresh();
        await reapNow();
        await releaseOrphansWhenDue();
      })
      .catch((error: unknown) => logger.warn({ err: error }, "heartbeat failed"))
      .finally(() => {
        isBeating = false;
      });
  }, options.heartbeatMs);
  logger.info({ concurrency: options.concurrency, tasks: [...implementations.keys()] }, "worker started");

  let stopping: Promise<void> | undefined;
  return {
    workerId,
    executor,
    get lastHeartbeatAt() {
      return lastHeartbeatAt;
    },
    reapNow,
    stop() {
      stopping ??= (async () => {
        isEnding = true;
        clearInterval(beat);
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
        clearInterval(beat);
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
