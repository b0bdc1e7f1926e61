import { sql } from "drizzle-orm";
import type { Executor } from "../db/client.js";

/**
 * An event id is ((timeline − 1) × 2^40) + the events sequence (migration 0012): a promoted
 * replica's timeline puts its ids above every id the old primary handed out.
 */
const timelineSpan = 2 ** 40;

/** The timeline (less one) of the server that handed out `id`. */
export function timelineOf(id: number): number {
  return Math.floor(id / timelineSpan);
}

/**
 * Whether event `id`, which a subscriber was sent, is ahead of the database's history: it is not
 * stored, and neither is any later event of its timeline. That happens after a failover to an
 * asynchronous replica that had not received it (an event pruned by retention is followed by
 * later ones of its timeline).
 */
export async function isAheadOfHistory(db: Executor, id: number): Promise<boolean> {
  const nextTimeline = (timelineOf(id) + 1) * timelineSpan;
  const result = await db.execute<{ ahead: boolean }>(sql`
    select not exists (select 1 from events where id = ${id})
      and not exists (select 1 from events where id > ${id} and id < ${nextTimeline}) as ahead`);
  return result.rows[0]?.ahead ?? false;
}
