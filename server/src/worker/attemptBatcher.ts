import type { ClaimedRun } from "../runs/sql/claimRuns.js";
import type { RecordedAttempts } from "../runs/sql/recordAttempts.js";
import type { CompletedRun, Completion } from "../runs/sql/recordOutcomes.js";

interface Waiter<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

/** Most claims and outcomes one statement carries. */
const maxBatchSize = 1_000;

/**
 * Collects the claims and attempt outcomes of one turn of the event loop into one call of
 * `record`, so a busy worker pays one round trip per batch for both. A run is claimed at most once
 * per batch (a second claim of it gets null), and a claim of a run whose outcome is in the batch
 * waits for the next one, as a statement may update a row only once.
 */
export class AttemptBatcher {
  readonly #claims = new Map<string, Waiter<ClaimedRun | "paused" | null>>();
  readonly #completions = new Map<string, { completion: Completion } & Waiter<CompletedRun | null>>();
  #isScheduled = false;

  constructor(
    private readonly record: (
      completions: readonly Completion[],
      claimRunIds: readonly string[],
    ) => Promise<RecordedAttempts>,
  ) {}

  /**
   * Marks the run `running` for a new attempt; "paused" when its task or queue is paused, null when
   * it cannot run now otherwise (finished, cancelled, not due).
   */
  claim(runId: string): Promise<ClaimedRun | "paused" | null> {
    if (this.#claims.has(runId)) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      this.#claims.set(runId, { resolve, reject });
      this.#schedule();
    });
  }

  /** Records an attempt's outcome; null when it was refused (the attempt no longer holds its run). */
  complete(completion: Completion): Promise<CompletedRun | null> {
    return new Promise((resolve, reject) => {
      this.#completions.set(completion.runId, { completion, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#isScheduled) return;
    this.#isScheduled = true;
    setImmediate(() => this.#flush());
  }

  #flush(): void {
    this.#isScheduled = false;
    const completions = [...this.#completions.entries()].slice(0, maxBatchSize);
    for (const [runId] of completions) this.#completions.delete(runId);
    const completing = new Set(completions.map(([runId]) => runId));
    const claims = [...this.#claims.entries()].filter(([runId]) => !completing.has(runId)).slice(0, maxBatchSize);
    for (const [runId] of claims) this.#claims.delete(runId);
    if (this.#claims.size > 0 || this.#completions.size > 0) this.#schedule();
    if (claims.length === 0 && completions.length === 0) return;

    this.record(
      completions.map(([, waiter]) => waiter.completion),
      claims.map(([runId]) => runId),
    ).then(
      ({ completed, claimed, held }) => {
        const completedById = new Map(completed.map((run) => [run.id, run]));
        const claimedById = new Map(claimed.map((run) => [run.id, run]));
        const heldIds = new Set(held);
        for (const [runId, waiter] of completions) waiter.resolve(completedById.get(runId) ?? null);
        for (const [runId, waiter] of claims) {
          waiter.resolve(claimedById.get(runId) ?? (heldIds.has(runId) ? "paused" : null));
        }
      },
      (error: unknown) => {
        for (const [, waiter] of completions) waiter.reject(error);
        for (const [, waiter] of claims) waiter.reject(error);
      },
    );
  }
}
