import { performance } from "node:perf_hooks";
import { Logger, run, runMigrations } from "graphile-worker";
import type pg from "pg";
import { createBenchPool } from "./benchPool.js";
import { type LatencySummary, summarize } from "./stats.js";
import { e2eRuns, enqueueBatchSize, latencySamples, workerSettings } from "./workerSettings.js";

const silent = new Logger(() => () => {});

async function startRawWorker(pool: pg.Pool, onJob: (payload: { n: number }) => void) {
  return run({
    pgPool: pool,
    noHandleSignals: true,
    logger: silent,
    taskList: {
      raw_noop: async (payload) => onJob(payload as { n: number }),
    },
    preset: {
      worker: {
        concurrentJobs: workerSettings.concurrency,
        localQueue: { size: workerSettings.localQueueSize },
        completeJobBatchDelay: 0,
        failJobBatchDelay: 0,
        pollInterval: 1_000,
      },
    },
  });
}

/** Plain graphile-worker: add no-op jobs in batches while a worker with the same settings runs them. */
export async function rawThroughput(url: string): Promise<{ perSecond: number; seconds: number }> {
  const pool = createBenchPool(url);
  await runMigrations({ pgPool: pool, logger: silent });
  let done = 0;
  let finish: () => void = () => {};
  const allDone = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const runner = await startRawWorker(pool, () => {
    done += 1;
    if (done === e2eRuns) finish();
  });
  const started = performance.now();
  for (let from = 0; from < e2eRuns; from += enqueueBatchSize) {
    const to = Math.min(e2eRuns, from + enqueueBatchSize) - 1;
    await pool.query(
      `select count(*) from graphile_worker.add_jobs(array(
         select row('raw_noop', json_build_object('n', g), null, null, 25, null, 0, null)::graphile_worker.job_spec
         from generate_series($1::int, $2::int) g))`,
      [from, to],
    );
  }
  await allDone;
  const seconds = (performance.now() - started) / 1_000;
  await runner.stop();
  await pool.end();
  return { perSecond: e2eRuns / seconds, seconds };
}

/** Enqueue → handler start, one job at a time on an idle worker. */
export async function rawLatency(url: string): Promise<LatencySummary> {
  const pool = createBenchPool(url);
  await runMigrations({ pgPool: pool, logger: silent });
  const startedAt = new Map<number, (at: number) => void>();
  const runner = await startRawWorker(pool, ({ n }) => startedAt.get(n)?.(performance.now()));
  const samples: number[] = [];
  for (let n = 0; n < latencySamples; n += 1) {
    const started = new Promise<number>((resolve) => startedAt.set(n, resolve));
    const enqueuedAt = performance.now();
    await pool.query("select graphile_worker.add_job('raw_noop', json_build_object('n', $1::int))", [n]);
    samples.push((await started) - enqueuedAt);
  }
  await runner.stop();
  await pool.end();
  return summarize(samples);
}
