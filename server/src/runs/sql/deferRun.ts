import { eventsChannel } from "@conveyor/shared";
import { sql } from "drizzle-orm";
import type { Executor } from "../../db/client.js";

/** Moves a run that may not start yet (rate limit) to `scheduled` at `until`, with its event; no attempt is used. */
export async function deferRun(
  db: Executor,
  runId: string,
  until: Date,
  reason: string,
): Promise<{ task: string; queue: string | null; priority: number } | null> {
  const result = await db.execute<{ task: string; queue: string | null; priority: number }>(sql`
    with deferred as (
      update runs set status = 'scheduled', run_at = ${until.toISOString()}::timestamptz, updated_at = now()
      where id = ${runId} and status in ('queued', 'scheduled', 'retrying')
      returning id, flow_id, task, queue, priority, run_at
    ), recorded as (
      insert into events (run_id, flow_id, type, payload)
      select id, flow_id, 'run.scheduled', jsonb_build_object('runAt', run_at, 'reason', ${reason}::text)
      from deferred
      returning id
    )
    select task, queue, priority, (select pg_notify(${eventsChannel}, max(id)::text) from recorded) as notified
    from deferred`);
  return result.rows[0] ?? null;
}
