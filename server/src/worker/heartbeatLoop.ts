import type { Database } from "../db/client.js";
import type { AppLogger } from "../logger.js";
import { heartbeat } from "../workers/sql/heartbeat.js";
import { reapDeadWorkers } from "../workers/sql/reapDeadWorkers.js";
import { releaseOrphanedLocks } from "../workers/sql/releaseOrphanedLocks.js";

export interface HeartbeatLoopOptions {
  db: Database;
  workerId: string;
  /** graphile-worker's lock ids in this process, recorded with each beat. */
  lockIds: ReadonlySet<string>;
  /** How often this worker says it is alive, and looks for workers that stopped saying so. */
  heartbeatMs: number;
  /** A worker silent for this long is declared dead and its jobs are unlocked. */
  deadAfterMs: number;
  /** Runs after each beat that reached the database (the paused flags' refresh). */
  afterBeat: () => Promise<void>;
  /** Called when this worker's beats have not reached the database for too long. */
  onSilent: (reason: string) => void;
  logger: AppLogger;
}

/**
 * The worker's heartbeat: records that it is alive with its lock ids, then reaps workers that
 * stopped beating and, now and then, locks nobody has on record. A worker whose beats stop
 * reaching the database gives up a beat before others would reap it, so it never works on runs
 * that have been handed to someone else.
 */
export class HeartbeatLoop {
  #lastBeatAt = Date.now();
  #isBeating = false;
  #lastOrphanSweepAt = Date.now();
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: HeartbeatLoopOptions) {}

  /** When a beat last reached the database (epoch ms). */
  get lastBeatAt(): number {
    return this.#lastBeatAt;
  }

  /** Starts beating; the silence that fails the worker counts from now. */
  start(): void {
    this.#lastBeatAt = Date.now();
    this.#lastOrphanSweepAt = Date.now();
    const { heartbeatMs, deadAfterMs } = this.options;
    const silentLimitMs = Math.max(deadAfterMs - heartbeatMs, heartbeatMs);
    this.#timer = setInterval(() => {
      const silentForMs = Date.now() - this.#lastBeatAt;
      if (silentForMs > silentLimitMs) {
        this.options.onSilent(`the heartbeat has not reached the database for ${silentForMs} ms`);
        return;
      }
      void this.#beat();
    }, heartbeatMs);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Records now that this worker is alive, with its lock ids as they are now; throws if it cannot. */
  async beatNow(): Promise<void> {
    await heartbeat(this.options.db, this.options.workerId, [...this.options.lockIds]);
    this.#lastBeatAt = Date.now();
  }

  /** Looks for dead workers now instead of at the next beat; for tests and operators. */
  async reapNow(alsoWorkerIds: readonly string[] = []): ReturnType<typeof reapDeadWorkers> {
    const { db, workerId, deadAfterMs, logger } = this.options;
    const reaped = await reapDeadWorkers(db, workerId, deadAfterMs, alsoWorkerIds);
    if (reaped.workers.length > 0) logger.warn(reaped, "declared workers dead and released their jobs");
    return reaped;
  }

  async #beat(): Promise<void> {
    if (this.#isBeating) return;
    this.#isBeating = true;
    try {
      await this.beatNow();
      await this.options.afterBeat();
      await this.reapNow();
      await this.#releaseOrphansWhenDue();
    } catch (error) {
      this.options.logger.warn({ err: error }, "heartbeat failed");
    } finally {
      this.#isBeating = false;
    }
  }

  /**
   * Locks nobody has on record are rare and only ever `deadAfterMs` old; one look per that period
   * spares a busy jobs table a scan on every beat.
   */
  async #releaseOrphansWhenDue(): Promise<void> {
    const { db, deadAfterMs, logger } = this.options;
    if (Date.now() - this.#lastOrphanSweepAt < deadAfterMs) return;
    this.#lastOrphanSweepAt = Date.now();
    const { unlockedJobs } = await releaseOrphanedLocks(db, deadAfterMs);
    if (unlockedJobs > 0) logger.warn({ unlockedJobs }, "released jobs locked under ids no running worker has");
  }
}
