import { type SQL, sql } from "drizzle-orm";

/**
 * A CTE named `name` that adds the finished runs among `source`'s rows (columns task, status,
 * started_at, finished_at) to the overview's per-minute rollups: `sign` 1 when they just finished,
 * -1 when they are reopened, so a retried run's earlier failure stops counting. Statements that
 * finish or reopen runs include it, so the counts move in the same transaction as the runs. It
 * runs only if the statement's select list reads it: a select is not a data-modifying CTE (see
 * `transitionEffects`).
 */
export function rollUpCte(name: string, source: string, sign: 1 | -1): SQL {
  return sql.raw(`${name} as (
      select conveyor_roll_up_runs(array_agg(task), array_agg(status), array_agg(started_at), array_agg(finished_at),
        ${sign}) as done
      from ${source}
      where finished_at is not null
    )`);
}
