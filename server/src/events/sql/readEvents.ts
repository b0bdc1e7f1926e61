import type { LiveEvent, RunEventType } from "@conveyor/shared";
import { type SQL, sql } from "drizzle-orm";
import type { Executor } from "../../db/client.js";

type EventRow = {
  id: string;
  run_id: string | null;
  flow_id: string | null;
  type: RunEventType;
  payload: Record<string, unknown>;
  created_at: string;
  task: string | null;
  queue: string | null;
};

function toLiveEvent(row: EventRow): LiveEvent {
  return {
    id: Number(row.id),
    runId: row.run_id,
    flowId: row.flow_id,
    type: row.type,
    payload: row.payload,
    createdAt: new Date(row.created_at),
    task: row.task,
    queue: row.queue,
  };
}

/** Events with `after < id <= upTo` matching `where`, in id order, with their run's task and queue. */
export async function readEvents(
  db: Executor,
  options: { after: number; upTo?: number; where?: SQL; limit: number },
): Promise<LiveEvent[]> {
  const upTo = options.upTo === undefined ? sql`` : sql`and e.id <= ${options.upTo}`;
  const where = options.where ? sql`and ${options.where}` : sql``;
  const result = await db.execute<EventRow>(sql`
    select e.id, e.run_id, e.flow_id, e.type, e.payload, e.created_at, r.task, r.queue
    from events e left join runs r on r.id = e.run_id
    where e.id > ${options.after} ${upTo} ${where}
    order by e.id
    limit ${options.limit}`);
  return result.rows.map(toLiveEvent);
}

/**
 * Whether a transaction that may still add events with ids below ones already committed is in
 * progress: one that holds the events table's write lock and began no later than `since`.
 * Sequence ids are taken at insert time but become visible at commit, so a hole in the ids is
 * either such a transaction still running (wait for it) or a rollback (skip it).
 */
export async function checkPendingEventWriters(
  db: Executor,
  since: Date | null,
): Promise<{ pending: boolean; now: Date }> {
  const result = await db.execute<{ pending: boolean; now: string }>(sql`
    select clock_timestamp() as now, exists (
      select 1
      from pg_locks l join pg_stat_activity a on a.pid = l.pid
      where l.locktype = 'relation' and l.relation = 'events'::regclass and l.mode = 'RowExclusiveLock'
        and l.database = (select oid from pg_database where datname = current_database())
        and l.granted and a.pid <> pg_backend_pid()
        and a.xact_start <= coalesce(${since?.toISOString() ?? null}::timestamptz, clock_timestamp())
    ) as pending`);
  const row = result.rows[0];
  return { pending: row?.pending ?? false, now: new Date(row?.now ?? Date.now()) };
}

export async function maxEventId(db: Executor): Promise<number> {
  const result = await db.execute<{ id: string | null }>(sql`select max(id) as id from events`);
  return Number(result.rows[0]?.id ?? 0);
}
