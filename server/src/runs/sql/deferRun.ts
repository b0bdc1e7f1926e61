import { sql } from "drizzle-orm";
import type { Executor } from "../../db/client.js";
import { RunTransition, statusGroups, statusIn, transitionColumns } from "../../transitions/runTransition.js";

/** A deferral: the run's `run.scheduled` event and its job at the new time. */
const deferTransition = (reason: string) =>
  new RunTransition({
    changed: "deferred",
    event: { type: sql`'run.scheduled'`, payload: sql`jsonb_build_object('runAt', run_at, 'reason', ${reason}::text)` },
    jobs: { runAt: sql`run_at` },
  });

/**
 * Moves a run that may not start yet (rate limit) to `scheduled` at `until`, with its event and
 * its job for that time, in one statement (no transaction needed); no attempt is used. Returns
 * whether the run was deferred.
 */
export async function deferRun(db: Executor, runId: string, until: Date, reason: string): Promise<boolean> {
  const transition = deferTransition(reason);
  const result = await db.execute<{ id: string }>(sql`
    with deferred as (
      update runs set status = 'scheduled', run_at = ${until.toISOString()}::timestamptz, updated_at = now()
      where id = ${runId} and ${statusIn("status", statusGroups.pending)}
      returning ${transitionColumns("runs")}
    ), ${transition.ctes}
    select id, ${transition.effects} from deferred`);
  return result.rows.length > 0;
}
