import { sql } from "drizzle-orm";
import type { Executor } from "../../db/client.js";
import { transitionEffects } from "../../transitions/runTransition.js";
import { type ClaimedRun, claimedRunsJson, claimRunsCtes, claimTransition, heldRunIdsJson } from "./claimRuns.js";
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
 * outcomes travels with a batch of claims. No run may be in both (a statement updates a row once).
 */
export async function recordAttempts(
  db: Executor,
  workerId: string,
  completions: readonly Completion[],
  claimRunIds: readonly string[],
): Promise<RecordedAttempts> {
  const result = await db.execute<{ completed: CompletedRunJson[]; claimed: ClaimedRun[]; held: string[] }>(sql`
    with ${recordOutcomesCtes(completions)}, ${claimRunsCtes(workerId, claimRunIds)}
    select ${completedRunsJson} as completed, ${claimedRunsJson} as claimed, ${heldRunIdsJson} as held,
      ${commitWithoutFlushWait}, ${transitionEffects(outcomeTransition, claimTransition)}`);
  const row = result.rows[0];
  return { completed: toCompletedRuns(row?.completed ?? []), claimed: row?.claimed ?? [], held: row?.held ?? [] };
}
