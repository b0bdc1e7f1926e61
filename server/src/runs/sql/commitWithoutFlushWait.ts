import { sql } from "drizzle-orm";

/**
 * A select-list item that lets the statement's transaction commit without waiting for the WAL
 * flush. Only for writes made while a worker holds a run's job: graphile-worker's commit that
 * deletes the job comes later and flushes the WAL past this record, so the job never moves on
 * before this state is durable.
 */
export const commitWithoutFlushWait = sql`(select set_config('synchronous_commit', 'off', true)) as async_commit`;
