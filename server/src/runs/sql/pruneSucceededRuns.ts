import { sql } from "drizzle-orm";
import type { Executor } from "../../db/client.js";

/** Runs deleted per statement, so pruning a large backlog never holds long locks. */
const batchSize = 5_000;

/** Deletes succeeded runs finished before `before`, with their events and edges. Returns how many. */
export async function pruneSucceededRuns(db: Executor, before: Date): Promise<number> {
  let total = 0;
  for (;;) {
    const result = await db.execute<{ n: number }>(sql`
      with doomed as (
        select id from runs
        where status = 'succeeded' and finished_at < ${before.toISOString()}::timestamptz
        limit ${batchSize}
      ), gone_events as (
        delete from events where run_id in (select id from doomed)
      ), gone_edges as (
        delete from run_dependencies where run_id in (select id from doomed) or depends_on in (select id from doomed)
      ), gone as (
        delete from runs where id in (select id from doomed) returning id
      )
      select count(*)::int as n from gone`);
    const deleted = result.rows[0]?.n ?? 0;
    total += deleted;
    if (deleted < batchSize) return total;
  }
}
