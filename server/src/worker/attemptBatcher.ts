import type { Claim, ClaimedRun } from "../runs/sql/claimRuns.js";
import type { RecordedAttempts } from "../runs/sql/recordAttempts.js";
import type { CompletedRun, Completion } from "../runs/sql/recordOutcomes.js";

interface Waiter<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

/**
 * What a claim got: the run for its new attempt; "paused" when its task or queue is paused; null
 * when it cannot run now otherwise (finished, cancelled, not due, or not as the attempt already
 * started expected); "withOutcome" when it travelled inside its attempt's recorded outcome.
 */
export type ClaimResult = ClaimedRun | "paused" | "withOutcome" | null;

/** Most claims and outcomes one statement carries. */
const maxBatchSize = 1_000;

/**
 * Collects the claims and attempt outcomes of one turn of the event loop into one call of
 * `record`, so a busy worker pays one round trip per batch for both. A run is claimed at most once
 * per batch (a second claim of it gets null). An outcome whose claim has not been sent yet takes
 * the claim along (one update of the run); a claim of a run whose outcome is in the batch otherwise
 * waits for the next one, as a statement may update a row only once.
 */
export class AttemptBatcher {
  readonly #claims = new Map<string, { claim: Claim } & Waiter<ClaimResult>>();
  readonly #completions = new Map<
    string,
    { completion: Completion; claim: Waiter<ClaimResult> | null } & Waiter<CompletedRun | null>
  >();
  #isScheduled = false;

  constructor(
    private readonly record: (
      completions: readonly Completion[],
      claims: readonly Claim[],
    ) => Promise<RecordedAttempts>,
  ) {}

  /** Marks the run `running` for a new attempt (see `ClaimResult`). */
  claim(claim: Claim): Promise<ClaimResult> {
    if (this.#claims.has(claim.runId)) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      this.#claims.set(claim.runId, { claim, resolve, reject });
      this.#schedule();
    });
  }

  /** Whether the run's claim waits for the next batch still, so that its outcome may take it along. */
  isClaimPending(runId: string): boolean {
    return this.#claims.has(runId);
  }

  /**
   * Records an attempt's outcome; null when it was refused (the attempt no longer holds its run,
   * or the claim that travelled with it was refused).
   */
  complete(completion: Omit<Completion, "claims">): Promise<CompletedRun | null> {
    const pending = this.#claims.get(completion.runId);
    const claims = pending !== undefined && pending.claim.attempt === completion.attempt;
    if (claims) this.#claims.delete(completion.runId);
    return new Promise((resolve, reject) => {
      this.#completions.set(completion.runId, {
        completion: { ...completion, claims },
        claim: claims ? pending : null,
        resolve,
        reject,
      });
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
      claims.map(([, waiter]) => waiter.claim),
    ).then(
      ({ completed, claimed, held }) => {
        const completedById = new Map(completed.map((run) => [run.id, run]));
        const claimedById = new Map(claimed.map((run) => [run.id, run]));
        const heldIds = new Set(held);
        for (const [runId, waiter] of completions) {
          const run = completedById.get(runId) ?? null;
          waiter.claim?.resolve(run ? "withOutcome" : null);
          waiter.resolve(run);
        }
        for (const [runId, waiter] of claims) {
          waiter.resolve(claimedById.get(runId) ?? (heldIds.has(runId) ? "paused" : null));
        }
      },
      (error: unknown) => {
        for (const [, waiter] of completions) {
          waiter.claim?.reject(error);
          waiter.reject(error);
        }
        for (const [, waiter] of claims) waiter.reject(error);
      },
    );
  }
}
