import { sql } from "drizzle-orm";
import type { Executor } from "../../db/client.js";

/**
 * Completes every waiting step that waits for `event` and whose `match` the payload contains,
 * with the payload as its result. A step completes once: a second delivery finds it done.
 */
export async function completeWaits(db: Executor, event: string, payload: unknown): Promise<string[]> {
  const result = await db.execute<{ run_id: string }>(sql`
    update run_steps set status = 'completed', output = ${JSON.stringify(payload)}::jsonb, finished_at = now()
    where status = 'waiting' and event_name = ${event}
      and (match is null or ${JSON.stringify(payload)}::jsonb @> match)
    returning run_id`);
  return [...new Set(result.rows.map((row) => row.run_id))];
}

/** Completes one named waiting step; false when it was no longer waiting. */
export async function completeWait(db: Executor, runId: string, step: string, payload: unknown): Promise<boolean> {
  const result = await db.execute(sql`
    update run_steps set status = 'completed', output = ${JSON.stringify(payload)}::jsonb, finished_at = now()
    where run_id = ${runId}::uuid and name = ${step} and kind = 'wait' and status = 'waiting'`);
  return (result.rowCount ?? 0) > 0;
}
