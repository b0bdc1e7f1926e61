import { EventEmitter } from "node:events";
import { type SQL, sql } from "drizzle-orm";
import { run, type Task, type WorkerEvents } from "graphile-worker";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createDatabase, createPool } from "../server/src/db/client.js";
import { endJobsCtes, unlockJobsCtes } from "../server/src/jobs/jobLocks.js";
import { removeRunJobs, runIdsWithJobs, runJobKey, runJobSpecs } from "../server/src/jobs/runJobs.js";
import { createLogger, toGraphileLogger } from "../server/src/logger.js";
import { migrateDatabase } from "../server/src/schema/migrateDatabase.js";
import { createTestDatabase } from "./fixtures/testDatabase.js";

/*
 * What Conveyor assumes of graphile-worker (pinned at 0.17.x), each checked against the real
 * thing: the job disposition contract (server/src/worker/jobAdapter.ts) and the run jobs'
 * keys and flags (server/src/jobs/runJobs.ts) rest on these.
 */

const database = await createTestDatabase("graphile_contract");
const pool = createPool(database.url, 2);
await migrateDatabase(pool, createLogger("silent"));
const db = createDatabase(pool);
afterAll(async () => {
  await pool.end();
  await database.drop();
});
afterEach(async () => {
  await pool.query("delete from graphile_worker._private_jobs");
});

interface JobRow {
  id: string;
  key: string | null;
  locked_by: string | null;
  flags: Record<string, boolean> | null;
  run_at: Date;
}

async function jobs(): Promise<JobRow[]> {
  const result = await pool.query<JobRow>(
    "select id::text, key, locked_by, flags, run_at from graphile_worker._private_jobs order by id",
  );
  return result.rows;
}

/** Adds the job of a run as Conveyor's statements do. */
async function addRunJob(runId: string, options: { queue?: string; runAt?: Date; task?: string } = {}): Promise<void> {
  const spec = sql`(select ${runId}::uuid as id, ${options.task ?? "conveyor.noop"}::text as task, ${options.queue ?? null}::text as queue,
    0 as priority, ${options.runAt?.toISOString() ?? null}::timestamptz as run_at, null::json as start)`;
  await db.execute(sql`select count(*) from graphile_worker.add_jobs(${runJobSpecs(spec)})`);
}

/**
 * A graphile-worker runner of its own runs `conveyor.noop` jobs with `task` until `count` of them
 * completed, then stops. It runs as Conveyor's workers do: completions batched, so stopping the
 * runner flushes them (unbatched, a job's completion is not awaited before job:complete or stop).
 */
async function runJobsWith(task: Task, count = 1): Promise<void> {
  const events: WorkerEvents = new EventEmitter();
  // Listened for before the runner starts: the jobs may be done before `run` returns.
  const done = new Promise<void>((resolve) => {
    let completed = 0;
    events.on("job:complete", () => {
      completed += 1;
      if (completed === count) resolve();
    });
  });
  const runner = await run({
    events,
    pgPool: pool,
    noHandleSignals: true,
    preset: { worker: { concurrentJobs: 1, pollInterval: 50, completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
    logger: toGraphileLogger(createLogger("silent")),
    taskList: { "conveyor.noop": task },
  });
  try {
    await done;
  } finally {
    await runner.stop();
  }
}

describe("graphile-worker, as Conveyor relies on it", () => {
  it("moves a run's key to the job added while its job is locked, and completing the old job spares the new", async () => {
    const runId = "01900000-0000-7000-8000-0000000000a1";
    await addRunJob(runId);
    const [first] = await jobs();
    expect(first?.key).toBe(runJobKey(runId));
    let seenInTask: JobRow[] = [];
    // While a runner holds the job, the task adds the run's next job (a retry, in a minute), as an
    // attempt's outcome does; then it returns, which completes the job.
    await runJobsWith(async () => {
      await addRunJob(runId, { runAt: new Date(Date.now() + 60_000) });
      seenInTask = await jobs();
    });
    // While locked, the old job lost its key to the new one.
    expect(seenInTask).toMatchObject([
      { id: first?.id, key: null },
      { key: runJobKey(runId), locked_by: null },
    ]);
    // Completed by id: the old job is gone, the new one stays with the key.
    const left = await jobs();
    expect(left).toHaveLength(1);
    expect(left[0]).toMatchObject({ id: seenInTask[1]?.id, key: runJobKey(runId) });
  });

  it("replaces an unlocked job of the same key in place, and removes it by key", async () => {
    const runId = "01900000-0000-7000-8000-0000000000a2";
    await addRunJob(runId);
    await addRunJob(runId, { runAt: new Date(Date.now() + 60_000) });
    const all = await jobs();
    expect(all).toHaveLength(1);
    expect(all[0]?.key).toBe(runJobKey(runId));
    await removeRunJobs(db, [runId]);
    expect(await jobs()).toEqual([]);
  });

  it("finds the runs that have jobs by key, all of them or a task's", async () => {
    const [a, b] = ["01900000-0000-7000-8000-0000000000b1", "01900000-0000-7000-8000-0000000000b2"];
    await addRunJob(a, { task: "report.generate" });
    await addRunJob(b, { task: "email.send" });
    // A job that is not a run's is not counted.
    await pool.query("select graphile_worker.add_job('conveyor.noop', '{}')");
    const ids = async (query: SQL) =>
      (await db.execute<{ id: string }>(sql`select id from (${query}) as r(id) order by id`)).rows.map((row) => row.id);
    expect(await ids(runIdsWithJobs())).toEqual([a, b]);
    expect(await ids(runIdsWithJobs("email.send"))).toEqual([b]);
  });

  it("runs at once a job whose lock is released, which graphile-worker alone would hold for four hours", async () => {
    const runId = "01900000-0000-7000-8000-0000000000c1";
    await addRunJob(runId);
    // As a worker that died holding it left it.
    await pool.query("update graphile_worker._private_jobs set locked_by = 'dead-worker', locked_at = now()");
    const released = await db.execute<{ n: number }>(
      sql`with ${unlockJobsCtes(sql`locked_by = 'dead-worker'`)} select (select count(*)::int from unlocked_jobs) as n`,
    );
    expect(released.rows[0]?.n).toBe(1);
    let ranFor: unknown = null;
    await runJobsWith(async (payload) => {
      ranFor = payload;
    });
    expect(ranFor).toEqual({ runId });
    expect(await jobs()).toEqual([]);
  });

  it("lets a task end its own job, unlocking its queue, so that graphile-worker's completion finds nothing to do", async () => {
    const [first, second] = ["01900000-0000-7000-8000-0000000000d1", "01900000-0000-7000-8000-0000000000d2"];
    await addRunJob(first, { queue: "serial" });
    await addRunJob(second, { queue: "serial" });
    const ran: string[] = [];
    await runJobsWith(async (payload, helpers) => {
      ran.push((payload as { runId: string }).runId);
      // As Conveyor's outcome statement does with the job that delivered a run that finished.
      const ended = await db.execute<{ jobs: number; queues: number }>(sql`
        with ${endJobsCtes(sql`select ${helpers.job.id}::bigint as job_id, ${helpers.job.locked_by}::text as locked_by`)}
        select (select count(*)::int from ended_jobs) as jobs, (select count(*)::int from ended_queues) as queues`);
      expect(ended.rows[0]).toEqual({ jobs: 1, queues: 1 });
    }, 2);
    // The queue was free for the second job, and nothing is left locked or queued.
    expect(ran).toEqual([first, second]);
    expect(await jobs()).toEqual([]);
    const queues = await pool.query("select locked_by from graphile_worker._private_job_queues");
    expect(queues.rows.every((row: { locked_by: string | null }) => row.locked_by === null)).toBe(true);
  });

  it("flags each run's job with its task and queue, which pausing forbids", async () => {
    const runId = "01900000-0000-7000-8000-0000000000a3";
    await addRunJob(runId, { queue: "reports" });
    expect((await jobs())[0]?.flags).toEqual({ "task:conveyor.noop": true, "queue:reports": true });
  });
});
