import { sql } from "drizzle-orm";
import type { Executor } from "../../db/client.js";
import { uuidArray } from "../../db/uuidArray.js";
import { RunTransition, transitionColumns } from "../../transitions/runTransition.js";

/**
 * Resumes runs whose wait was just completed: a suspended run is queued with its job due now.
 * A run still `running` (its attempt is about to suspend on this very wait) is marked with a due
 * `next_attempt_at`, which its suspension takes as its wake-up time (see `recordOutcomesCtes`): the
 * row lock orders the two, so the wake-up is never lost whichever commits first.
 */
export async function wakeRuns(db: Executor, runIds: readonly string[], reason: string): Promise<string[]> {
  if (runIds.length === 0) return [];
  // Only a run that was waiting is queued (with its event and job); a running one is just marked.
  const transition = new RunTransition({
    changed: "woken",
    event: {
      type: sql`'run.queued'`,
      payload: sql`jsonb_build_object('reason', ${reason}::text)`,
      where: sql`status = 'queued'`,
    },
    jobs: { runAt: sql`null::timestamptz`, where: sql`status = 'queued'` },
  });
  const result = await db.execute<{ id: string }>(sql`
    with woken as (
      update runs r set
        status = case when r.status = 'waiting' then 'queued' else r.status end,
        next_attempt_at = case when r.status = 'running' then now() end,
        updated_at = now()
      where r.id = any(${uuidArray(runIds)}::uuid[])
        and (r.status = 'running' or (r.status = 'waiting' and r.next_attempt_at is not null))
      returning ${transitionColumns("r")}, r.status
    ), ${transition.ctes}
    select id, ${transition.effects} from woken`);
  return result.rows.map((row) => row.id);
}
