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

/** Records that the worker is alive, with graphile-worker's ids for its workers and pool (its job locks). */
export async function heartbeat(db: Executor, id: string, lockIds: readonly string[]): Promise<void> {
  await db.execute(sql`
    update workers set last_heartbeat_at = now(), lock_ids = ${JSON.stringify(lockIds)}::jsonb
    where id = ${id} and state = 'running'`);
}

export async function markStopped(db: Executor, id: string): Promise<void> {
  await db.execute(sql`update workers set state = 'stopped', stopped_at = now() where id = ${id}`);
}
