import { sql } from "drizzle-orm";
import type { Executor } from "../db/client.js";
import { readQueueDepth } from "./sql/readQueueDepth.js";

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

/** Upper edge in ms of duration bucket `b` (see `conveyor_duration_bucket` in migration 0009). */
const bucketUpperMs = (bucket: number) => (bucket === 0 ? 1 : 2 ** (bucket / 4));

/**
 * The duration at quantile `q` of a histogram of `conveyor_duration_bucket` counts, interpolated
 * geometrically inside its bucket: within one bucket's width (19 %) of the exact percentile.
 */
export function bucketQuantile(counts: ReadonlyMap<number, number>, q: number): number {
  const buckets = [...counts.entries()].filter(([, n]) => n > 0).sort(([a], [b]) => a - b);
  const total = buckets.reduce((sum, [, n]) => sum + n, 0);
  if (total === 0) return 0;
  const rank = q * total;
  let below = 0;
  for (const [bucket, n] of buckets) {
    if (below + n >= rank) {
      if (bucket === 0) return 0;
      const lower = 2 ** ((bucket - 1) / 4);
      const within = n === 0 ? 0 : (rank - below) / n;
      return lower * (bucketUpperMs(bucket) / lower) ** within;
    }
    below += n;
  }
  return bucketUpperMs(buckets.at(-1)?.[0] ?? 0);
}

/**
 * The dashboard's overview: finishes and durations from the per-minute rollups the runs
 * statements that finish runs keep (a few thousand rows for an hour, however many runs there
 * are), queue depth from graphile-worker's jobs, one per run waiting to start or running.
 */
export async function readOverview(db: Executor, windowMinutes: number): Promise<Overview> {
  const since = sql`date_trunc('minute', now() - ${windowMinutes}::int * interval '1 minute')`;
  const [throughput, depth, durations] = await Promise.all([
    db.execute<{ minute: string; succeeded: number; failed: number }>(sql`
      select m.minute, coalesce(r.succeeded, 0)::int as succeeded, coalesce(r.failed, 0)::int as failed
      from generate_series(${since}, date_trunc('minute', now()), interval '1 minute') as m(minute)
      left join (
        select minute, sum(runs) filter (where status = 'succeeded') as succeeded,
          sum(runs) filter (where status = 'failed') as failed
        from run_rollups
        where minute >= ${since} and status in ('succeeded', 'failed')
        group by minute
      ) as r on r.minute = m.minute
      order by m.minute`),
    readQueueDepth(db),
    db.execute<{ task: string; duration_bucket: number; runs: number }>(sql`
      select task, duration_bucket, sum(runs)::int as runs
      from run_rollups
      where status = 'succeeded' and minute >= ${since}
      group by task, duration_bucket
      having sum(runs) > 0
      order by task`),
  ]);
  const minutes = throughput.rows.map((row) => ({
    minute: new Date(row.minute),
    succeeded: row.succeeded,
    failed: row.failed,
  }));
  const succeeded = minutes.reduce((total, row) => total + row.succeeded, 0);
  const failed = minutes.reduce((total, row) => total + row.failed, 0);
  const histograms = new Map<string, Map<number, number>>();
  for (const row of durations.rows) {
    const histogram = histograms.get(row.task) ?? new Map<number, number>();
    histogram.set(row.duration_bucket, row.runs);
    histograms.set(row.task, histogram);
  }
  return {
    windowMinutes,
    throughput: minutes,
    failureRate: succeeded + failed === 0 ? 0 : failed / (succeeded + failed),
    queueDepth: depth.map(({ queue, queued, running }) => ({ queue, queued, running })),
    durations: [...histograms].map(([task, histogram]) => ({
      task,
      count: [...histogram.values()].reduce((sum, n) => sum + n, 0),
      p50Ms: Math.round(bucketQuantile(histogram, 0.5)),
      p95Ms: Math.round(bucketQuantile(histogram, 0.95)),
    })),
  };
}
