import { sql } from "drizzle-orm";
import type { Executor } from "../db/client.js";

export interface Overview {
  windowMinutes: number;
  /** Runs finished per minute, oldest first; minutes without any are present with zeros. */
  throughput: { minute: Date; succeeded: number; failed: number }[];
  /** Failed ÷ finished (succeeded + failed) over the window; 0 with nothing finished. */
  failureRate: number;
  /** Runs waiting to start and running now, per queue (null: no named queue). */
  queueDepth: { queue: string | null; queued: number; running: number }[];
  /** Run durations (start of the last attempt to finish) per task over the window. */
  durations: { task: string; count: number; p50Ms: number; p95Ms: number }[];
}

/** The dashboard's overview, from the runs table: a few aggregate statements, no extra bookkeeping. */
export async function readOverview(db: Executor, windowMinutes: number): Promise<Overview> {
  const since = sql`now() - ${windowMinutes}::int * interval '1 minute'`;
  const [throughput, depth, durations] = await Promise.all([
    db.execute<{ minute: string; succeeded: number; failed: number }>(sql`
      select m.minute, count(r.id) filter (where r.status = 'succeeded')::int as succeeded,
        count(r.id) filter (where r.status = 'failed')::int as failed
      from generate_series(date_trunc('minute', ${since}), date_trunc('minute', now()), interval '1 minute') as m(minute)
      left join runs r on r.finished_at >= m.minute and r.finished_at < m.minute + interval '1 minute'
        and r.status in ('succeeded', 'failed')
      group by m.minute
      order by m.minute`),
    db.execute<{ queue: string | null; queued: number; running: number }>(sql`
      select queue, count(*) filter (where status in ('queued', 'retrying', 'scheduled'))::int as queued,
        count(*) filter (where status = 'running')::int as running
      from runs
      where status in ('queued', 'retrying', 'scheduled', 'running')
      group by queue
      order by queue nulls first`),
    db.execute<{ task: string; count: number; p50: number | null; p95: number | null }>(sql`
      select task, count(*)::int as count,
        percentile_cont(0.5) within group (order by extract(epoch from finished_at - started_at) * 1000) as p50,
        percentile_cont(0.95) within group (order by extract(epoch from finished_at - started_at) * 1000) as p95
      from runs
      where status = 'succeeded' and finished_at >= ${since} and started_at is not null
      group by task
      order by task`),
  ]);
  const minutes = throughput.rows.map((row) => ({
    minute: new Date(row.minute),
    succeeded: row.succeeded,
    failed: row.failed,
  }));
  const succeeded = minutes.reduce((total, row) => total + row.succeeded, 0);
  const failed = minutes.reduce((total, row) => total + row.failed, 0);
  return {
    windowMinutes,
    throughput: minutes,
    failureRate: succeeded + failed === 0 ? 0 : failed / (succeeded + failed),
    queueDepth: depth.rows,
    durations: durations.rows.map((row) => ({
      task: row.task,
      count: row.count,
      p50Ms: Math.round(row.p50 ?? 0),
      p95Ms: Math.round(row.p95 ?? 0),
    })),
  };
}
