import { sql } from "drizzle-orm";
import type { Executor } from "../../db/client.js";

const batchSize = 10_000;

/** Deletes events older than `before` in batches (the BRIN index on created_at finds them cheaply). */
export async function pruneEvents(db: Executor, before: Date): Promise<number> {
  let total = 0;
  for (;;) {
    const result = await db.execute<{ n: number }>(sql`
      with doomed as (
        select id from events where created_at < ${before.toISOString()}::timestamptz limit ${batchSize}
      ), gone as (
        delete from events where id in (select id from doomed) returning id
      )
      select count(*)::int as n from gone`);
    const deleted = result.rows[0]?.n ?? 0;
    total += deleted;
    if (deleted < batchSize) return total;
  }
}
