import { sql } from "drizzle-orm";
import type { Executor } from "../../db/client.js";
import { transitionEffects } from "../../transitions/runTransition.js";
import {
  type Claim,
  type ClaimedRun,
  claimedRunsJson,
  claimRunsCtes,
  claimTransition,
  heldRunIdsJson,
} from "./claimRuns.js";
import { commitWithoutFlushWait } from "./commitWithoutFlushWait.js";
import {
  type CompletedRun,
  type CompletedRunJson,
  type Completion,
  completedRunsJson,
  outcomeTransition,
  recordOutcomesCtes,
  toCompletedRuns,
} from "./recordOutcomes.js";

export interface RecordedAttempts {
  /** The runs whose outcome was recorded (see `recordOutcomesCtes`). */
  completed: CompletedRun[];
  /** The runs claimed for new attempts (see `claimRunsCtes`). */
  claimed: ClaimedRun[];
  /** The runs not claimed because their task or queue is paused. */
  held: string[];
}

/**
 * A worker's outcomes of finished attempts and its claims for new ones, in one statement and one
 * round trip: as a task slot frees up its next run is claimed, so in a busy worker each batch of
 * outcomes travels with a batch of claims. No run may be in both (a statement updates a row once):
 * a claim that would meet its own outcome travels inside it instead (`Completion.claims`).
 */
export async function recordAttempts(
  db: Executor,
  workerId: string,
  completions: readonly Completion[],
  claims: readonly Claim[],
): Promise<RecordedAttempts> {
  const outcomes = outcomeTransition(workerId);
  const result = await db.execute<{ completed: CompletedRunJson[]; claimed: ClaimedRun[]; held: string[] }>(sql`
    with ${recordOutcomesCtes(workerId, completions)}, ${claimRunsCtes(workerId, claims)}
    select ${completedRunsJson} as completed, ${claimedRunsJson} as claimed, ${heldRunIdsJson} as held,
      ${commitWithoutFlushWait}, ${transitionEffects(outcomes, claimTransition)}`);
  const row = result.rows[0];
  return { completed: toCompletedRuns(row?.completed ?? []), claimed: row?.claimed ?? [], held: row?.held ?? [] };
}
