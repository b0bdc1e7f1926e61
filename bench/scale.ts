import { performance } from "node:perf_hooks";
import type { ListRunsInput } from "@conveyor/shared";
import { sql } from "drizzle-orm";
import pg from "pg";
import { createDatabase, type Database } from "../server/src/db/client.js";
import { createDayPartitions, dayMs, listPartitions } from "../server/src/history/partitions.js";
import { applyRetention } from "../server/src/history/retention.js";
import { createLogger } from "../server/src/logger.js";
import { migrateDatabase } from "../server/src/schema/migrateDatabase.js";
import { withBenchConveyor } from "./benchConveyor.js";
import { enqueueNoopsUntilSucceeded } from "./conveyorFullPath.js";
import { conveyorWorkerEnv } from "./workerSettings.js";

export const scaleRuns = Number(process.env.BENCH_SCALE_RUNS ?? 10_000_000);
const scaleDays = 10;
const eventsPerRun = 3;

/** Ids the seed gives its one flow and its ten schedules, so the bench can filter by them. */
const seededFlowId = "00000000-0000-7000-8000-000000001234";
const scheduleId = (n: number) => `5c4ed01e-0000-7000-8000-${n.toString(16).padStart(12, "0")}`;

/**
 * Seeds `scaleRuns` finished runs over the last `scaleDays` days (a partition per day) and
 * three events each, with `generate_series` inside Postgres: 90 % `conveyor.noop`, 10 %
 * `conveyor.sleep` and 1,000 `bench.rare`; 10 failed, 1,000 cancelled, the newest 3 running and
 * 5 queued; 1 % on queue `emails`, 20 on queue `rare`; 1 % in flows of three; 1,000 runs for
 * each of ten schedules; 1 % with an idempotency key. The overview's rollups are filled as the
 * trigger would have filled them had these runs finished one by one.
 */
async function seed(db: Database, now: number): Promise<{ seconds: number; firstDay: number }> {
  const started = performance.now();
  const today = Math.floor(now / dayMs) * dayMs;
  const firstDay = today - (scaleDays - 1) * dayMs;
  // A fresh database: its empty first partitions give way to one partition per seeded day.
  await db.execute(sql`drop table runs_initial, events_initial`);
  for (const table of ["runs", "events"] as const) {
    const newest = (await listPartitions(db, table))[0]?.from ?? today + dayMs;
    await createDayPartitions(db, table, firstDay, newest);
  }
  const perDay = Math.floor(scaleRuns / scaleDays);
  for (let day = 0; day < scaleDays; day++) {
    const dayStart = firstDay + day * dayMs;
    // Spread over the day, the last day ending now, so the newest runs finished minutes ago.
    const span = Math.min(dayMs, now - 60_000 - dayStart);
    const step = span / perDay;
    const count = day === scaleDays - 1 ? scaleRuns - perDay * (scaleDays - 1) : perDay;
    const offset = day * perDay;
    await db.execute(sql`
      insert into runs (id, task, status, input, output, attempts, max_attempts, timeout_ms, queue, priority, run_at,
        flow_id, flow_node, idempotency_key, idempotency_expires_at, schedule_id, created_at, started_at, finished_at,
        updated_at)
      select (lpad(to_hex(ms::bigint), 12, '0') || '7' || substr(md5(k::text), 1, 3) || '8' || substr(md5(k::text), 4, 15))::uuid,
        case when k % 10000 = 7 then 'bench.rare' when k % 10 = 3 then 'conveyor.sleep' else 'conveyor.noop' end,
        status, '{}', case when status = 'succeeded' then '{}'::jsonb end, 1, 3, 60000,
        case when k % 500000 = 77 then 'rare' when k % 100 = 0 then 'emails' end, 0, at,
        case when k % 100 between 50 and 52 then
          (case when k / 100 = 1234 then ${seededFlowId} else '00000000-0000-7000-9000-' || lpad(to_hex(k / 100), 12, '0') end)::uuid
        end,
        case when k % 100 between 50 and 52 then 'step-' || (k % 100 - 49) end,
        case when k % 100 = 42 then 'key-' || k end,
        case when k % 100 = 42 then at + interval '1 day' end,
        case when k % 1000 = 999 then ('5c4ed01e-0000-7000-8000-' || lpad(to_hex((k / 1000) % 10), 12, '0'))::uuid end,
        at, case when status <> 'queued' then at + interval '2 ms' end,
        case when status in ('succeeded', 'failed', 'cancelled') then at + (k % 97 + 3) * interval '1 ms' end,
        at + interval '100 ms'
      from (
        select k, ms, to_timestamp(ms / 1000.0) as at,
          case when k >= ${scaleRuns - 5}::bigint then 'queued' when k >= ${scaleRuns - 8}::bigint then 'running'
            when k % 1000000 = 500000 then 'failed' when k % 10000 = 1234 then 'cancelled' else 'succeeded' end as status
        from (select g + ${offset}::bigint as k, ${dayStart}::bigint + g * ${step}::float8 as ms
          from generate_series(0, ${count - 1}) as g) as s
      ) as r`);
    await db.execute(sql`
      insert into events (run_id, flow_id, type, payload, created_at)
      select id, flow_id, e.type, '{}', e.at
      from runs, lateral (values ('run.queued', created_at), ('run.started', started_at),
        ('run.' || status, finished_at)) as e(type, at)
      where id >= conveyor_uuid_floor(${new Date(dayStart).toISOString()}::timestamptz)
        and id < conveyor_uuid_floor(${new Date(dayStart + dayMs).toISOString()}::timestamptz)
        and e.at is not null and (e.type <> 'run.queued' or status <> 'queued')`);
    console.log(`  seeded day ${day + 1} of ${scaleDays}: ${count} runs`);
  }
  // Runs waiting to start or running have jobs; these are due tomorrow, so no worker takes them.
  await db.execute(sql`
    select graphile_worker.add_job(task, json_build_object('runId', id), job_key => 'run:' || id,
      run_at => now() + interval '1 day')
    from runs where status in ('queued', 'running')`);
  await db.execute(sql`
    insert into run_rollups (minute, task, status, duration_bucket, runs)
    select date_trunc('minute', finished_at), task, status, conveyor_duration_bucket(started_at, finished_at), count(*)
    from runs where finished_at is not null
    group by 1, 2, 3, 4`);
  await db.execute(sql`vacuum analyze runs`);
  await db.execute(sql`analyze events`);
  await db.execute(sql`analyze run_rollups`);
  return { seconds: (performance.now() - started) / 1_000, firstDay };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const round1 = (value: number) => Math.round(value * 10) / 10;

export interface ScaleResult {
  runs: number;
  events: number;
  partitions: number;
  seed_seconds: number;
  /** Per filter: the first call over HTTP (nothing cached) and the median of five more, in ms. */
  listings: Record<string, { first_ms: number; p50_ms: number; items: number }>;
  overview: { first_ms: number; p50_ms: number };
  retention: { seconds: number; partition: string; dropped: number; kept: number };
  throughput_per_s: number;
}

/** The listing filters the dashboard and the API offer, each timed at `scaleRuns` runs. */
function listingFilters(firstDay: number, sample: { id: string; key: string }): Record<string, ListRunsInput> {
  const midday = firstDay + 4 * dayMs + dayMs / 2;
  return {
    "no filter": {},
    "status succeeded": { status: "succeeded" },
    "status failed (10)": { status: "failed" },
    "status cancelled (1,000)": { status: "cancelled" },
    "status running (3)": { status: "running" },
    "task conveyor.sleep (10 %)": { task: "conveyor.sleep" },
    "task bench.rare (1,000)": { task: "bench.rare" },
    "status failed + task conveyor.noop": { status: "failed", task: "conveyor.noop" },
    "status failed + task bench.rare (none)": { status: "failed", task: "bench.rare" },
    "queue emails (1 %)": { queue: "emails" },
    "queue rare (20)": { queue: "rare" },
    "an hour, five days ago": { createdAfter: new Date(midday), createdBefore: new Date(midday + 3_600_000) },
    "flow (3 runs)": { flowId: seededFlowId },
    "schedule (1,000 runs)": { scheduleId: scheduleId(3) },
    "idempotency key": { search: sample.key },
    "run id": { search: sample.id },
  };
}

/**
 * `npm run bench -- scale`: every listing filter and the overview at `scaleRuns` runs, over
 * HTTP, the retention of the oldest day, then the throughput bench on the grown database.
 */
export async function scaleBench(url: string): Promise<ScaleResult> {
  const logger = createLogger("warn");
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  try {
    await migrateDatabase(pool, logger);
    const db = createDatabase(pool);
    const now = Date.now();
    console.log(`seeding ${scaleRuns} runs and ${eventsPerRun} events each over ${scaleDays} days…`);
    const seeded = await seed(db, now);
    const counts = await db.execute<{ runs: number; events: number }>(
      sql`select (select count(*) from runs)::int as runs, (select count(*) from events)::int as events`,
    );
    const sample = await db.execute<{ id: string; key: string }>(
      sql`select id, idempotency_key as key from runs where idempotency_key = 'key-4242'`,
    );
    const sampleRow = sample.rows[0];
    if (!sampleRow) throw new Error("the seed has no run with idempotency key key-4242");
    const partitions = (await listPartitions(db, "runs")).length;

    const { listings, overview } = await withBenchConveyor(
      url,
      { env: conveyorWorkerEnv, api: true, worker: false },
      async ({ client }) => {
        const timed = async <T>(call: () => Promise<T>) => {
          const started = performance.now();
          const value = await call();
          return { ms: performance.now() - started, value };
        };
        // The connection and the API's code paths warm: "first" is the first call of each query.
        await client.health.query();
        const listings: ScaleResult["listings"] = {};
        for (const [name, filter] of Object.entries(listingFilters(seeded.firstDay, sampleRow))) {
          const first = await timed(() => client.runs.list.query({ ...filter, limit: 50 }));
          const again: number[] = [];
          // Distinct cursors past the newest run: the same page, never served from the cache.
          for (let i = 0; i < 5; i++) {
            const cursor = `ffffffff-ffff-7fff-bfff-${(i + 1).toString(16).padStart(12, "f")}`;
            again.push((await timed(() => client.runs.list.query({ ...filter, limit: 50, cursor }))).ms);
          }
          listings[name] = {
            first_ms: round1(first.ms),
            p50_ms: round1(median(again)),
            items: first.value.items.length,
          };
          console.log(
            `  ${name}: ${first.value.items.length} runs, first ${first.ms.toFixed(1)} ms, p50 ${median(again).toFixed(1)} ms`,
          );
        }
        const firstOverview = await timed(() => client.stats.overview.query({ windowMinutes: 60 }));
        const overviews: number[] = [];
        for (let minutes = 61; minutes <= 65; minutes++) {
          overviews.push((await timed(() => client.stats.overview.query({ windowMinutes: minutes }))).ms);
        }
        console.log(`  overview: first ${firstOverview.ms.toFixed(1)} ms, p50 ${median(overviews).toFixed(1)} ms`);
        return { listings, overview: { first_ms: round1(firstOverview.ms), p50_ms: round1(median(overviews)) } };
      },
    );

    // The oldest day's partition comes due: succeeded retention of seven days, a week after it ended.
    const retentionStarted = performance.now();
    const report = await applyRetention(db, seeded.firstDay + dayMs + 7 * dayMs, {
      succeededRetentionMs: 7 * dayMs,
      eventRetentionMs: 30 * dayMs,
    });
    const retentionSeconds = (performance.now() - retentionStarted) / 1_000;
    const pruned = report.runPartitions[0];
    if (!pruned) throw new Error("retention dropped no partition");
    console.log(
      `  retention of one day: ${pruned.name}, ${pruned.dropped} runs dropped, ${pruned.kept} kept, in ${retentionSeconds.toFixed(2)} s`,
    );

    const throughput = await withBenchConveyor(url, { env: conveyorWorkerEnv, api: true, worker: true }, ({ client }) =>
      enqueueNoopsUntilSucceeded(url, client),
    );
    console.log(`  throughput on the grown database: ${throughput.perSecond.toFixed(0)} runs/s`);
    return {
      runs: counts.rows[0]?.runs ?? 0,
      events: counts.rows[0]?.events ?? 0,
      partitions,
      seed_seconds: round1(seeded.seconds),
      listings,
      overview,
      retention: { seconds: Math.round(retentionSeconds * 1000) / 1000, ...pruned, partition: pruned.name },
      throughput_per_s: Math.round(throughput.perSecond),
    };
  } finally {
    await pool.end();
  }
}
