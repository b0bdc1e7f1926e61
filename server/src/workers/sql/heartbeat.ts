import { sql } from "drizzle-orm";
import type { Executor } from "../../db/client.js";

export interface WorkerRegistration {
  id: string;
  host: string;
  pid: number;
  concurrency: number;
  tasks: string[];
}

export async function registerWorker(db: Executor, worker: WorkerRegistration): Promise<void> {
  await db.execute(sql`
    insert into workers (id, host, pid, concurrency, tasks)
    values (${worker.id}, ${worker.host}, ${worker.pid}, ${worker.concurrency}, ${JSON.stringify(worker.tasks)}::jsonb)`);
}

/** What a heartbeat learns of the database server. */
export interface ServerSeen {
  /** When the server started: it changes when the server restarts or a replica is promoted. */
  startedAt: string;
  /** Whether no worker has yet looked on this server for runs that lost their jobs. */
  isUnswept: boolean;
}

/**
 * Records that the worker is alive, with graphile-worker's ids for its workers and pool (its job
 * locks), and says which server it reached.
 */
export async function heartbeat(db: Executor, id: string, lockIds: readonly string[]): Promise<ServerSeen> {
  const result = await db.execute<{ started_at: string; is_unswept: boolean }>(sql`
    with beat as (
      update workers set last_heartbeat_at = now(), lock_ids = ${JSON.stringify(lockIds)}::jsonb
      where id = ${id} and state = 'running')
    select pg_postmaster_start_time()::text as started_at,
      not exists (select from lost_job_sweeps where server_started_at = pg_postmaster_start_time()) as is_unswept`);
  const row = result.rows[0];
  if (!row) throw new Error("the heartbeat returned no row");
  return { startedAt: row.started_at, isUnswept: row.is_unswept };
}

export async function markStopped(db: Executor, id: string): Promise<void> {
  await db.execute(sql`update workers set state = 'stopped', stopped_at = now() where id = ${id}`);
}
