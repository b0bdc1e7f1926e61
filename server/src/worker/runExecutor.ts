import DataLoader from "dataloader";
import type { Database } from "../db/client.js";
import type { AppLogger } from "../logger.js";
import { addRunJobs } from "../runs/sql/addRunJobs.js";
import { type ClaimedRun, type ClaimRequest, claimRuns } from "../runs/sql/claimRuns.js";
import { type CompletedRun, type Completion, completeRuns } from "../runs/sql/completeRuns.js";
import { type Activity, recordActivity } from "../runs/sql/recordActivity.js";
import { AttemptActivity } from "./attemptActivity.js";
import { RunAttempt } from "./runAttempt.js";
import type { TaskImplementation } from "./taskImplementation.js";

export interface RunExecutorOptions {
  db: Database;
  workerId: string;
  implementations: ReadonlyMap<string, TaskImplementation>;
  abortGraceMs: number;
  logger: AppLogger;
}

/** Collects the calls made in one turn of the event loop into one statement. */
function batchOf<K, V>(load: (keys: readonly K[]) => Promise<V[]>): DataLoader<K, V> {
  return new DataLoader(load, { cache: false, maxBatchSize: 1_000, batchScheduleFn: (run) => setImmediate(run) });
}

/**
 * Executes the runs behind graphile-worker jobs. Claims, completions and activity of concurrent
 * attempts are batched, so a busy worker writes a few statements per batch rather than per run.
 */
export class RunExecutor {
  readonly #inFlight = new Map<RunAttempt, Promise<void>>();
  #isDraining = false;
  readonly #claims: DataLoader<ClaimRequest, ClaimedRun | null>;
  readonly #completions: DataLoader<Completion, CompletedRun | null>;
  readonly #activity: DataLoader<Activity, null>;

  constructor(private readonly options: RunExecutorOptions) {
    const { db } = options;
    this.#claims = batchOf(async (requests) => {
      const byId = new Map((await claimRuns(db, requests)).map((run) => [run.id, run]));
      return requests.map((request) => byId.get(request.runId) ?? null);
    });
    this.#completions = batchOf(async (completions) => {
      const changed = await db.transaction(async (tx) => {
        const rows = await completeRuns(tx, completions);
        await addRunJobs(
          tx,
          rows
            .filter((row) => row.status === "retrying" || row.status === "queued")
            .map((row) => ({
              runId: row.id,
              task: row.task,
              queue: row.queue,
              priority: row.priority,
              runAt: row.nextAttemptAt,
            })),
        );
        return rows;
      });
      const byId = new Map(changed.map((row) => [row.id, row]));
      return completions.map((completion) => byId.get(completion.runId) ?? null);
    });
    this.#activity = batchOf(async (activities) => {
      await recordActivity(db, activities);
      return activities.map(() => null);
    });
  }

  /** Attempts currently executing in this process. */
  get activeCount(): number {
    return this.#inFlight.size;
  }

  /** Handles one graphile-worker job. Resolving completes the job; throwing makes graphile-worker retry it. */
  async execute(runId: string): Promise<void> {
    if (this.#isDraining) throw new Error("worker is shutting down; the job stays queued");
    const run = await this.#claims.load({ runId, workerId: this.options.workerId });
    if (!run) return; // finished, cancelled or not yet due: the job has nothing left to do
    const implementation = this.options.implementations.get(run.task);
    if (!implementation) throw new Error(`worker has no implementation for task "${run.task}"`);

    const activity = new AttemptActivity(
      { runId: run.id, flowId: run.flowId, attempt: run.attempt },
      async (entry) => {
        await this.#activity.load(entry);
      },
      this.options.logger,
    );
    const attempt = new RunAttempt(run, implementation, activity, this.options.abortGraceMs);
    const done = this.#finish(attempt);
    this.#inFlight.set(attempt, done);
    try {
      await done;
    } finally {
      this.#inFlight.delete(attempt);
    }
  }

  async #finish(attempt: RunAttempt): Promise<void> {
    const { run, activity } = attempt;
    const outcome = await attempt.execute();
    await activity.flush();
    await this.#completions.load({ runId: run.id, attempt: run.attempt, outcome, progress: activity.lastProgress });
    if (outcome.kind === "failed") {
      this.options.logger.warn({ runId: run.id, task: run.task, error: outcome.error.message }, "run failed");
    }
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
