import { hostname } from "node:os";
import { run, type TaskList } from "graphile-worker";
import type pg from "pg";
import { z } from "zod";
import type { Database } from "../db/client.js";
import { type AppLogger, toGraphileLogger } from "../logger.js";
import { RunExecutor } from "./runExecutor.js";
import type { TaskImplementation } from "./taskImplementation.js";

export interface WorkerOptions {
  pool: pg.Pool;
  db: Database;
  implementations: readonly TaskImplementation[];
  concurrency: number;
  /** Jobs locked ahead per fetch; 0 disables graphile-worker's local queue. */
  localQueueSize: number;
  shutdownGraceMs: number;
  abortGraceMs: number;
  logger: AppLogger;
  /** How often to look for jobs that became due without a notification (retries, scheduled runs). */
  pollIntervalMs?: number;
}

export interface RunningWorker {
  readonly workerId: string;
  readonly executor: RunExecutor;
  /** Drains (see `RunExecutor.drain`) and stops fetching jobs. */
  stop(): Promise<void>;
}

/** Jobs graphile-worker hands over per task slot; see `concurrentJobs` below. */
export const jobsPerTaskSlot = 2;

const jobPayloadSchema = z.object({ runId: z.uuid() });

export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const workerId = `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
  const logger = options.logger.child({ workerId });
  const implementations = new Map(options.implementations.map((item) => [item.definition.name, item]));
  const executor = new RunExecutor({
    db: options.db,
    workerId,
    concurrency: options.concurrency,
    implementations,
    abortGraceMs: options.abortGraceMs,
    logger,
  });
  const taskList: TaskList = Object.fromEntries(
    [...implementations.keys()].map((name) => [
      name,
      async (payload: unknown) => {
        const { runId } = jobPayloadSchema.parse(payload);
        await executor.execute(runId);
      },
    ]),
  );

  const runner = await run({
    pgPool: options.pool,
    taskList,
    noHandleSignals: true,
    logger: toGraphileLogger(logger),
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
  logger.info({ concurrency: options.concurrency, tasks: [...implementations.keys()] }, "worker started");

  let stopping: Promise<void> | undefined;
  return {
    workerId,
    executor,
    stop() {
      stopping ??= (async () => {
        const stopped = runner.stop();
        await executor.drain(options.shutdownGraceMs);
        await stopped;
        logger.info("worker stopped");
      })();
      return stopping;
    },
  };
}
