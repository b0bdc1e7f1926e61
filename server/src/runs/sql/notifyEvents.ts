import { eventsChannel } from "@conveyor/shared";
import { type SQL, sql } from "drizzle-orm";

/**
 * A select-list item announcing the events a statement inserted: the highest id of `cte` (a CTE
 * returning the new events' ids) on the events channel. One notification per statement, however
 * many events, and sent on commit, so listeners read the table only once the events are visible.
 */
export function notifyEvents(cte: string): SQL {
  return sql`(select pg_notify(${eventsChannel}, max(id)::text) from ${sql.identifier(cte)}) as notified`;
}
