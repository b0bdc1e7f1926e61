import type { Database } from "../db/client.js";
import type { AppLogger } from "../logger.js";
import { heartbeat } from "../workers/sql/heartbeat.js";
import { reapDeadWorkers } from "../workers/sql/reapDeadWorkers.js";
import { releaseOrphanedLocks } from "../workers/sql/releaseOrphanedLocks.js";
import { releaseStrayLocks } from "../workers/sql/releaseStrayLocks.js";
import { restoreLostJobs } from "../workers/sql/restoreLostJobs.js";

export interface HeartbeatLoopOptions {
  db: Database;
  workerId: string;
  /** graphile-worker's lock ids in this process, recorded with each beat. */
  lockIds: ReadonlySet<string>;
  /**
   * The ids of the jobs this process's task functions are running; null when jobs may wait locked
   * in graphile-worker's local queue, where a held job is not yet in flight.
   */
  jobsInFlight: ReadonlySet<string> | null;
  /** How often this worker says it is alive, and looks for workers that stopped saying so. */
  heartbeatMs: number;
  /** A worker silent for this long is declared dead and its jobs are unlocked. */
  deadAfterMs: number;
  /** Runs after each beat that reached the database (the paused flags' refresh). */
  afterBeat: () => Promise<void>;
  /** Called when this worker's beats have not reached the database for too long, or it restarted or failed over. */
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
  /** When the database server this worker first beat on started. */
  #serverStartedAt: string | null = null;
  #timer: NodeJS.Timeout | undefined;
  /** Searches for lost jobs this loop has scheduled and that have not started yet. */
  readonly #pendingSearches = new Map<NodeJS.Timeout, string>();

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

  /** Stops beating, and drops the searches for lost jobs not begun: a later beat schedules them again. */
  stop(): void {
    clearInterval(this.#timer);
    for (const [search, serverStartedAt] of this.#pendingSearches) {
      clearTimeout(search);
      searchedServers.delete(serverStartedAt);
    }
    this.#pendingSearches.clear();
  }

  /**
   * Records now that this worker is alive, with its lock ids as they are now; throws if it cannot.
   * A database that restarted or failed over since the first beat may have lost this worker's
   * latest commits (outcomes commit without waiting for the flush, and an asynchronous replica
   * lags): jobs it ended there would stay locked under its ids for as long as it beats. It starts
   * over under a new id instead, so its old locks are released and those runs go again. Returns
   * whether the beat counted (false once the server changed).
   */
  async beatNow(): Promise<boolean> {
    const { db, workerId, lockIds } = this.options;
    const server = await heartbeat(db, workerId, [...lockIds]);
    if (server.isUnswept) this.#searchForLostJobs(server.startedAt);
    this.#serverStartedAt ??= server.startedAt;
    if (server.startedAt !== this.#serverStartedAt) {
      this.options.onSilent(
        `the database restarted or failed over (server started at ${server.startedAt}, not ${this.#serverStartedAt}); what this worker recorded since its last flush may be lost`,
      );
      return false;
    }
    this.#lastBeatAt = Date.now();
    return true;
  }

  /** Looks for dead workers now instead of at the next beat; for tests and operators. */
  async reapNow(alsoWorkerIds: readonly string[] = []): ReturnType<typeof reapDeadWorkers> {
    const { db, workerId, deadAfterMs, logger } = this.options;
    const reaped = await reapDeadWorkers(db, workerId, deadAfterMs, alsoWorkerIds);
    if (reaped.workers.length > 0) logger.warn(reaped, "declared workers dead and released their jobs");
    return reaped;
  }

  /**
   * On a server no worker has searched yet (it restarted, or a replica was promoted), runs may
   * have lost their jobs (see `hasNoJob`): they are given back once `deadAfterMs` has passed, when
   * the last completions of the incarnations that knew the old server have arrived, and once more
   * after as long again. The search reads every run in flight, so it runs once per server, never on
   * a schedule; the first search records the server.
   */
  #searchForLostJobs(serverStartedAt: string): void {
    if (searchedServers.has(serverStartedAt)) return;
    searchedServers.add(serverStartedAt);
    const { db, deadAfterMs, logger } = this.options;
    for (const [index, delayMs] of [deadAfterMs, 2 * deadAfterMs].entries()) {
      const search = setTimeout(() => {
        this.#pendingSearches.delete(search);
        restoreLostJobs(db)
          .then(
            (lost) => {
              if (lost.restored + lost.requeued > 0)
                logger.warn(lost, "gave back the jobs of runs that had lost theirs");
            },
            (error: unknown) => logger.warn({ err: error }, "looking for runs that lost their jobs failed"),
          )
          // Recorded by now (or failed, and the next beat that finds it unsearched tries again).
          .finally(() => {
            if (index === 1) searchedServers.delete(serverStartedAt);
          });
      }, delayMs);
      search.unref();
      this.#pendingSearches.set(search, serverStartedAt);
    }
  }

  async #beat(): Promise<void> {
    if (this.#isBeating) return;
    this.#isBeating = true;
    try {
      if (!(await this.beatNow())) return;
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
   * Locks nobody has on record, and locks this worker holds without working on them, are rare:
   * one look per `deadAfterMs` spares a busy jobs table a scan on every beat.
   */
  async #releaseOrphansWhenDue(): Promise<void> {
    const { db, deadAfterMs, logger } = this.options;
    if (Date.now() - this.#lastOrphanSweepAt < deadAfterMs) return;
    this.#lastOrphanSweepAt = Date.now();
    const { unlockedJobs } = await releaseOrphanedLocks(db, deadAfterMs);
    if (unlockedJobs > 0) logger.warn({ unlockedJobs }, "released jobs locked under ids no running worker has");
    const { jobsInFlight, lockIds } = this.options;
    if (jobsInFlight) {
      const stray = await releaseStrayLocks(db, [...lockIds], [...jobsInFlight], deadAfterMs);
      if (stray.unlockedJobs > 0) logger.warn(stray, "released jobs this worker held without working on them");
    }
  }
}

/** The servers (by start time) this process has searches for lost jobs scheduled on, until they ran. */
const searchedServers = new Set<string>();
