import { eventsChannel } from "@conveyor/shared";
import { type SQL, sql } from "drizzle-orm";

/**
 * A select-list item announcing the events a statement inserted: the highest id among the CTEs
 * `ctes` (each returning the new events' ids) on the events channel. One notification per
 * statement, however many events, and sent on commit, so listeners read the table only once the
 * events are visible. None when it inserted none: Postgres commits every notifying transaction
 * in turn under one lock, held through the commit's flush (and a synchronous standby's reply), so
 * a statement that changed nothing must not queue behind those that did.
 */
export function notifyEvents(...ctes: readonly string[]): SQL {
  const ids = sql.join(
    ctes.map((cte) => sql`select id from ${sql.identifier(cte)}`),
    sql` union all `,
  );
  return sql`(select pg_notify(${eventsChannel}, max(id)::text) from (${ids}) as new_events having max(id) is not null) as notified`;
}
