/*
 * A worker process: incarnations (workerIncarnation.ts wires graphile-worker to the parts below)
 * and starting over when one fails. A job's way through it, in three files:
 *   jobAdapter.ts   a job comes in; the disposition that ends it, the contract with graphile-worker
 *   runExecutor.ts  claim → attempt → recorded outcome → disposition, batched across attempts
 *   runAttempt.ts   the task's code, its timeout, cancellation and outcome
 */
import { setTimeout as delay } from "node:timers/promises";
import type { reapDeadWorkers } from "../workers/sql/reapDeadWorkers.js";
import type { RunExecutor } from "./runExecutor.js";
import { startIncarnation, type WorkerIncarnation, type WorkerOptions } from "./workerIncarnation.js";

export { jobsPerTaskSlot, type WorkerOptions } from "./workerIncarnation.js";

export type WorkerState = "running" | "recovering" | "stopped";

export interface WorkerHealth {
  state: WorkerState;
  workerId: string;
  /** When the heartbeat last reached the database. */
  lastHeartbeatAt: Date;
  /** How many times this process has started over after losing its ability to work. */
  recoveries: number;
}

export interface RunningWorker {
  /** The current incarnation's id (a new one after each recovery). */
  readonly workerId: string;
  readonly executor: RunExecutor;
  health(): WorkerHealth;
  /** Looks for dead workers now instead of at the next heartbeat; for tests and operators. */
  reapNow(): ReturnType<typeof reapDeadWorkers>;
  /** Drains (see `RunExecutor.drain`) and stops fetching jobs. */
  stop(): Promise<void>;
}

/** Backoff between attempts to start over: doubling from the first, capped. */
const firstRetryMs = 100;
const maxRetryMs = 5_000;

/**
 * Runs a worker that heals: when its runner, pool, heartbeat or listeners fail (a dropped
 * connection, a Postgres restart), it abandons that incarnation, starts a new one under a new
 * worker id with capped backoff, and at once releases the old one's jobs and runs to the queue.
 * If it cannot start over within `recoveryTimeoutMs`, it reports a fatal error instead of living
 * on unable to work.
 */
export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const logger = options.logger;
  let state: WorkerState = "running";
  let recoveries = 0;
  let current: WorkerIncarnation;
  let recovering: Promise<void> | null = null;

  const recover = async (failed: WorkerIncarnation) => {
    await failed.abandon();
    const giveUpAt = Date.now() + options.recoveryTimeoutMs;
    let waitMs = firstRetryMs;
    for (let attempt = 1; state === "recovering"; attempt += 1) {
      try {
        const next = await startIncarnation(options, onFailure);
        if (state !== "recovering") {
          await next.stop();
          return;
        }
        current = next;
        state = "running";
        recoveries += 1;
        // The old incarnation is known dead: its jobs and runs need not wait for the reaper's timeout.
        await next.reapNow([failed.workerId]).catch((error: unknown) => {
          logger.warn({ err: error }, "could not release the previous incarnation's runs; the reaper will");
        });
        logger.warn({ workerId: next.workerId, previous: failed.workerId, attempt }, "worker recovered");
        return;
      } catch (error) {
        if (Date.now() >= giveUpAt) {
          state = "stopped";
          options.onFatal(
            new Error(`worker could not start over within ${options.recoveryTimeoutMs} ms`, { cause: error }),
          );
          return;
        }
        logger.warn({ err: error, attempt, retryInMs: waitMs }, "worker could not start over yet");
        await delay(waitMs);
        waitMs = Math.min(waitMs * 2, maxRetryMs);
      }
    }
  };
  const onFailure = () => {
    if (state !== "running" || recovering) return;
    state = "recovering";
    const failed = current;
    recovering = recover(failed).finally(() => {
      recovering = null;
    });
  };

  current = await startIncarnation(options, onFailure);
  return {
    get workerId() {
      return current.workerId;
    },
    get executor() {
      return current.executor;
    },
    health: () => ({
      state,
      workerId: current.workerId,
      lastHeartbeatAt: new Date(current.lastHeartbeatAt),
      recoveries,
    }),
    reapNow: () => current.reapNow(),
    async stop() {
      const wasRecovering = state === "recovering";
      state = "stopped";
      await recovering;
      if (!wasRecovering) await current.stop();
    },
  };
}
