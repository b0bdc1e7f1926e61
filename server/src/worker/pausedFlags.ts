import type { Database } from "../db/client.js";
import { pauseFlag } from "../jobs/runJobs.js";
import type { AppLogger } from "../logger.js";
import { forbiddenFlags } from "../pauses/service.js";

/**
 * The job flags of the paused tasks and queues, as this worker knows them: reread when a pause
 * is announced and on every heartbeat (in case an announcement was missed during a reconnect).
 */
export class PausedFlags {
  #current: string[] | null = null;

  constructor(
    private readonly db: Database,
    private readonly logger: AppLogger,
  ) {}

  /** For graphile-worker's `forbiddenFlags`: null while nothing is paused, so jobs are fetched in batches. */
  get current(): string[] | null {
    return this.#current;
  }

  isTaskPaused(task: string): boolean {
    return this.#current?.includes(pauseFlag({ kind: "task", name: task })) ?? false;
  }

  async refresh(): Promise<void> {
    try {
      this.#current = await forbiddenFlags(this.db);
    } catch (error) {
      this.logger.warn({ err: error }, "could not reread the paused tasks and queues");
    }
  }
}
