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

/** Microseconds since the epoch, from the database's clock: the unit hole ages are compared in. */
type Micros = number;

export interface EventWriters {
  /** When the check ran (after any read whose holes it judges). */
  now: Micros;
  /** When the oldest transaction that may still add events began; null when none is running. */
  oldestStart: Micros | null;
}

/**
 * When the oldest transaction that may still add events began. A transaction takes its event ids
 * inside the INSERT, which holds the events table's RowExclusiveLock from before the ids are
 * drawn until it commits or rolls back, so a hole in the ids first seen at time T is final once
 * no lock holder that began at or before T remains.
 */
export async function checkEventWriters(db: Executor): Promise<EventWriters> {
  const result = await db.execute<{ now: string; oldest_start: string | null }>(sql`
    select (extract(epoch from clock_timestamp()) * 1000000)::bigint as now,
      (select (extract(epoch from min(a.xact_start)) * 1000000)::bigint
       from pg_locks l join pg_stat_activity a on a.pid = l.pid
       where l.locktype = 'relation' and l.relation = 'events'::regclass and l.mode = 'RowExclusiveLock'
         and l.database = (select oid from pg_database where datname = current_database())
         and l.granted and a.pid <> pg_backend_pid()) as oldest_start`);
  const row = result.rows[0];
  if (!row) throw new Error("checking event writers returned no row");
  return { now: Number(row.now), oldestStart: row.oldest_start === null ? null : Number(row.oldest_start) };
}

/**
 * Flushes the WAL past every commit already visible. Claims and completions commit without
 * waiting for the flush (`commitWithoutFlushWait`), so an event can be visible before it is
 * durable; a crash would take it back and the id sequence could hand its id out again. A
 * synchronous commit of a transaction that wrote WAL flushes everything before it, so an event
 * read before this returns survives a crash. The WAL it writes is a transactional logical
 * message (no table, no lock, any role may emit one); nothing is written when the WAL is
 * already flushed.
 */
export async function flushCommittedEvents(db: Executor): Promise<void> {
  await db.execute(sql`
    select set_config('synchronous_commit', 'on', true) as sync_commit,
      case when pg_current_wal_flush_lsn() < pg_current_wal_insert_lsn()
        then pg_logical_emit_message(true, 'conveyor', 'flush') end as flushed_past`);
}

export async function maxEventId(db: Executor): Promise<number> {
  const result = await db.execute<{ id: string | null }>(sql`select max(id) as id from events`);
  return Number(result.rows[0]?.id ?? 0);
}
