import { performance } from "node:perf_hooks";
import { Logger, run, runMigrations, type Task } from "graphile-worker";
import type pg from "pg";
import { createBenchPool } from "./benchPool.js";
import { workerSettings } from "./workerSettings.js";

const silent = new Logger(() => () => {});

async function runRaw(
  url: string,
  taskList: Record<string, Task>,
  start: (pool: pg.Pool) => Promise<void>,
  isDone: Promise<void>,
) {
  const pool = createBenchPool(url);
  await runMigrations({ pgPool: pool, logger: silent });
  await pool.query("create table if not exists bench_fan_in (id int primary key, remaining int not null)");
  const runner = await run({
    pgPool: pool,
    noHandleSignals: true,
    logger: silent,
    taskList,
    preset: {
      worker: {
        concurrentJobs: workerSettings.concurrency,
        localQueue: { size: workerSettings.localQueueSize },
        completeJobBatchDelay: 0,
        failJobBatchDelay: 0,
      },
    },
  });
  const started = performance.now();
  await start(pool);
  await isDone;
  const seconds = (performance.now() - started) / 1_000;
  await runner.stop();
  await pool.end();
  return seconds;
}

/** Three-step chains the usual graphile-worker way: each step adds the next. */
export async function rawChains(url: string, chains: number): Promise<number> {
  let finished = 0;
  let done = () => {};
  const isDone = new Promise<void>((resolve) => (done = resolve));
  return runRaw(
    url,
    {
      raw_step: async (payload, helpers) => {
        const { chain, step } = payload as { chain: number; step: number };
        if (step < 3) await helpers.addJob("raw_step", { chain, step: step + 1 });
        else if (++finished === chains) done();
      },
    },
    async (pool) => {
      await pool.query(
        `select count(*) from graphile_worker.add_jobs(array(
           select row('raw_step', json_build_object('chain', g, 'step', 1), null, null, 25, null, 0, null)::graphile_worker.job_spec
           from generate_series(1, $1::int) g))`,
        [chains],
      );
    },
    isDone,
  );
}

/** Groups with a callback: members count down a row per group; the one reaching zero adds the callback. */
export async function rawChords(url: string, chords: number, members: number): Promise<number> {
  let finished = 0;
  let done = () => {};
  const isDone = new Promise<void>((resolve) => (done = resolve));
  return runRaw(
    url,
    {
      raw_member: async (payload, helpers) => {
        const { chord } = payload as { chord: number };
        const { rows } = await helpers.query<{ remaining: number }>(
          "update bench_fan_in set remaining = remaining - 1 where id = $1 returning remaining",
          [chord],
        );
        if (rows[0]?.remaining === 0) await helpers.addJob("raw_callback", { chord });
      },
      raw_callback: async () => {
        if (++finished === chords) done();
      },
    },
    async (pool) => {
      await pool.query(
        "insert into bench_fan_in (id, remaining) select g, $2::int from generate_series(1, $1::int) g",
        [chords, members],
      );
      await pool.query(
        `select count(*) from graphile_worker.add_jobs(array(
           select row('raw_member', json_build_object('chord', c), null, null, 25, null, 0, null)::graphile_worker.job_spec
           from generate_series(1, $1::int) c, generate_series(1, $2::int) m))`,
        [chords, members],
      );
    },
    isDone,
  );
}
