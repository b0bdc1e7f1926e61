import { eventsChannel } from "@conveyor/shared";
import { sql } from "drizzle-orm";
import type { Executor } from "../../db/client.js";

/** Puts a failed or cancelled run back in the queue with one attempt more than it has used. */
export async function reopenRun(db: Executor, id: string): Promise<boolean> {
  const result = await db.execute<{ id: string }>(sql`
    with reopened as (
      update runs set status = 'queued', max_attempts = attempts + 1, finished_at = null, next_attempt_at = null,
        run_at = now(), updated_at = now()
      where id = ${id} and status in ('failed', 'cancelled')
      returning id, flow_id, attempts
    ), recorded as (
      insert into events (run_id, flow_id, type, payload)
      select id, flow_id, 'run.queued', jsonb_build_object('reason', 'retry', 'attempt', attempts + 1)
      from reopened
      returning id
    )
    select id, (select pg_notify(${eventsChannel}, max(id)::text) from recorded) as notified from reopened`);
  return result.rows.length > 0;
}
