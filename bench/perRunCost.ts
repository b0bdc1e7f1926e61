import pg from "pg";
import { type PrivatePostgres, startPrivatePostgres } from "../tests/fixtures/privatePostgres.js";
import { withBenchDatabase } from "./benchDatabase.js";
import { e2eRuns } from "./workerSettings.js";

/** What one run cost, summed over the measured scenario and divided by its runs. */
export interface PerRunCost {
  runs_per_s: number;
  /** Statements the client sent (nested ones, such as those inside graphile-worker's functions, not counted again). */
  statements: number;
  postgres_exec_us: number;
  wal_bytes: number;
  /** CPU of this process: API, worker and the bench's client together, as the throughput section runs them. */
  node_cpu_us: number;
  /** The costliest statements: calls, milliseconds in all, the start of their text. */
  top: { calls: number; ms: number; query: string }[];
}

/**
 * `scenario` run twice on a private cluster with pg_stat_statements (a warm-up, then the measured
 * run), on a server of its own so nothing else is counted.
 */
export async function perRunCost(
  scenario: (url: string) => Promise<{ perSecond: number }>,
  runs = e2eRuns,
): Promise<PerRunCost> {
  const server: PrivatePostgres = await startPrivatePostgres({
    shared_preload_libraries: "pg_stat_statements",
    "pg_stat_statements.track": "top",
    shared_buffers: "128MB",
  });
  const previous = process.env.BENCH_DATABASE_SERVER_URL;
  process.env.BENCH_DATABASE_SERVER_URL = server.serverUrl;
  const admin = new pg.Client({ connectionString: `${server.serverUrl}/postgres` });
  try {
    await admin.connect();
    await admin.query("create extension if not exists pg_stat_statements");
    await withBenchDatabase("warm", scenario);
    await admin.query("select pg_stat_statements_reset()");
    const cpuBefore = process.cpuUsage();
    const result = await withBenchDatabase("cost", scenario);
    const cpu = process.cpuUsage(cpuBefore);
    // The bench's own bookkeeping (its databases, its counting) is left out.
    const measured = `from pg_stat_statements where query not ilike 'create database%' and query not ilike 'drop database%'
      and query not like 'select count(*)::int as n from%'`;
    const totals = await admin.query<{ calls: string; ms: number; wal: string }>(
      `select sum(calls)::text as calls, sum(total_exec_time)::float8 as ms, sum(wal_bytes)::text as wal ${measured}`,
    );
    const top = await admin.query<{ calls: string; ms: number; query: string }>(
      `select calls::text, round(total_exec_time::numeric, 1)::float8 as ms,
         left(regexp_replace(query, '\\s+', ' ', 'g'), 90) as query ${measured} order by total_exec_time desc limit 5`,
    );
    const total = totals.rows[0];
    return {
      runs_per_s: Math.round(result.perSecond),
      statements: Math.round((Number(total?.calls ?? 0) / runs) * 1_000) / 1_000,
      postgres_exec_us: Math.round(((total?.ms ?? 0) * 1_000) / runs),
      wal_bytes: Math.round(Number(total?.wal ?? 0) / runs),
      node_cpu_us: Math.round((cpu.user + cpu.system) / runs),
      top: top.rows.map((row) => ({ calls: Number(row.calls), ms: row.ms, query: row.query })),
    };
  } finally {
    await admin.end().catch(() => {});
    if (previous === undefined) delete process.env.BENCH_DATABASE_SERVER_URL;
    else process.env.BENCH_DATABASE_SERVER_URL = previous;
    server.destroy();
  }
}
