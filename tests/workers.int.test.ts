import { once } from "node:events";
import { sql } from "drizzle-orm";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { createDatabase, createPool } from "../server/src/db/client.js";
import { HeartbeatLoop } from "../server/src/worker/heartbeatLoop.js";
import {
  isFinished,
  startFileConveyor,
  startTestConveyor,
  waitForEvents,
  waitForRun,
} from "./fixtures/testConveyor.js";
import { spawnWorkerProcess } from "./fixtures/workerProcess.js";

const { database, app: api } = await startFileConveyor("workers", { worker: false });
const fastHeartbeat = { WORKER_HEARTBEAT_MS: "200", WORKER_DEAD_AFTER_MS: "1500" };

const startWorkerProcess = () =>
  spawnWorkerProcess(database.url, { env: { WORKER_CONCURRENCY: "4", ...fastHeartbeat } });

// These start and kill real worker processes; on a busy machine a cold start alone takes seconds.
const processTimeoutMs = 120_000;

describe("workers", () => {
  it("register and show their host, pid, concurrency, tasks and heartbeat", async () => {
    const worker = await startTestConveyor(database.url, { api: false, env: fastHeartbeat });
    try {
      const listed = await api.client.workers.list.query();
      const mine = listed.find((entry) => entry.id === worker.conveyor.worker?.workerId);
      expect(mine).toMatchObject({ pid: process.pid, concurrency: 8, state: "running" });
      expect(mine?.tasks).toContain("conveyor.noop");
    } finally {
      await worker.close();
    }
    const after = await api.client.workers.list.query();
    expect(after.find((entry) => entry.id === worker.conveyor.worker?.workerId)?.state).toBe("stopped");
  });

  it("a worker killed mid-run is declared dead within seconds, and its run completes once on another worker", {
    timeout: processTimeoutMs,
  }, async () => {
    const child = startWorkerProcess();
    const exited = once(child, "exit");
    const { id } = await api.client.runs.enqueue.mutate({
      task: "conveyor.sleep",
      input: { ms: 1_000 },
      options: { maxAttempts: 3 },
    });
    const running = await waitForRun(database.url, id, (run) => run.status === "running", 60_000);
    const lostWorker = running.workerId;
    child.kill("SIGKILL");
    await exited;
    const killedAt = Date.now();

    const survivor = await startTestConveyor(database.url, { api: false, env: fastHeartbeat });
    try {
      const run = await waitForRun(database.url, id, isFinished, 60_000);
      expect(run.status).toBe("succeeded");
      expect(run.workerId).toBe(survivor.conveyor.worker?.workerId);
      expect(run.attempts).toBe(2);

      const events = await api.conveyor.db.execute<{ type: string; payload: { reason?: string }; created_at: Date }>(
        sql`select type, payload, created_at from events where run_id = ${id} order by id`,
      );
      const types = events.rows.map((event) => event.type);
      expect(types.filter((type) => type === "run.succeeded")).toHaveLength(1);
      const requeued = events.rows.find((event) => event.type === "run.requeued");
      expect(requeued?.payload.reason).toBe("worker lost");
      expect(new Date(requeued?.created_at ?? 0).getTime() - killedAt).toBeLessThan(30_000);

      // Resolves once the lost worker is listed dead; fails the test if it never is.
      await waitForEvents(
        database.url,
        async () =>
          (await api.client.workers.list.query()).find((entry) => entry.id === lostWorker && entry.state === "dead"),
        () => `worker ${lostWorker} was never declared dead`,
      );
    } finally {
      await survivor.close();
    }
  });

  it("a run whose last attempt was lost with its worker fails with WorkerLostError", {
    timeout: processTimeoutMs,
  }, async () => {
    const child = startWorkerProcess();
    const exited = once(child, "exit");
    const { id } = await api.client.runs.enqueue.mutate({ task: "conveyor.sleep", input: { ms: 5_000 } });
    await waitForRun(database.url, id, (run) => run.status === "running", 60_000);
    child.kill("SIGKILL");
    await exited;
    const survivor = await startTestConveyor(database.url, { api: false, env: fastHeartbeat });
    try {
      const run = await waitForRun(database.url, id, isFinished, 60_000);
      expect(run).toMatchObject({ status: "failed", attempts: 2, maxAttempts: 1 });
      expect(run.error).toMatchObject({ name: "WorkerLostError", isRetryable: false });
    } finally {
      await survivor.close();
    }
  });

  it("a job locked under an id no worker ever recorded is released and its run completes", async () => {
    const { id } = await api.client.runs.enqueue.mutate({ task: "conveyor.noop", input: {} });
    // What a worker leaves behind when it dies between locking a job and recording its lock ids.
    const locked = await api.conveyor.db.execute(sql`
      update graphile_worker._private_jobs set locked_by = 'pool-never-recorded', locked_at = now() - interval '1 hour'
      where payload->>'runId' = ${id} returning id`);
    expect(locked.rows).toHaveLength(1);

    const worker = await startTestConveyor(database.url, { api: false, env: fastHeartbeat });
    try {
      const run = await waitForRun(database.url, id, isFinished, 20_000);
      expect(run).toMatchObject({ status: "succeeded", attempts: 1 });
    } finally {
      await worker.close();
    }
  });

  it("on a server no worker has searched, runs that lost their job to a lost commit get one back: queued ones as due, running ones requeued", async () => {
    const { id: queued } = await api.client.runs.enqueue.mutate({ task: "conveyor.noop", input: {} });
    const { id: running } = await api.client.runs.enqueue.mutate({
      task: "conveyor.noop",
      input: {},
      options: { maxAttempts: 3 },
    });
    // What a failover to an asynchronous replica can leave: the outcome that ended the job is
    // lost, graphile-worker's own completion of the job reached the new primary.
    await api.conveyor.db.execute(sql`update runs set status = 'running', attempts = 1 where id = ${running}`);
    const deleted = await api.conveyor.db.execute(sql`
      delete from graphile_worker._private_jobs where payload->>'runId' in (${queued}, ${running}) returning id`);
    expect(deleted.rows).toHaveLength(2);
    // As after a restart or a promotion: no worker has searched this server yet.
    await api.conveyor.db.execute(sql`delete from lost_job_sweeps`);

    const worker = await startTestConveyor(database.url, { api: false, env: fastHeartbeat });
    try {
      expect(await waitForRun(database.url, queued, isFinished, 20_000)).toMatchObject({
        status: "succeeded",
        attempts: 1,
      });
      expect(await waitForRun(database.url, running, isFinished, 20_000)).toMatchObject({
        status: "succeeded",
        attempts: 2,
      });
      const requeued = await api.conveyor.db.execute<{ reason: string }>(
        sql`select payload->>'reason' as reason from events where run_id = ${running} and type = 'run.requeued'`,
      );
      expect(requeued.rows).toEqual([{ reason: "job lost" }]);
    } finally {
      await worker.close();
    }
  });

  it("a job held under a live worker's lock id that it is not working on is released, and its run completes", async () => {
    const worker = await startTestConveyor(database.url, { api: false, env: fastHeartbeat });
    try {
      await api.client.pauses.pause.mutate({ kind: "queue", name: "stray" });
      const { id } = await api.client.runs.enqueue.mutate({
        task: "conveyor.noop",
        input: {},
        options: { queue: "stray" },
      });
      const recorded = await api.conveyor.db.execute<{ lock_ids: string[] }>(
        sql`select lock_ids from workers where id = ${worker.conveyor.worker?.workerId ?? ""}`,
      );
      const poolId = recorded.rows[0]?.lock_ids.find((lockId) => lockId.startsWith("pool-"));
      expect(poolId).toBeDefined();
      // What a fetch that committed while its connection was cut leaves: a lock the worker does not know it holds.
      const locked = await api.conveyor.db.execute(sql`
        update graphile_worker._private_jobs set locked_by = ${poolId ?? ""}, locked_at = now() - interval '1 hour'
        where payload->>'runId' = ${id} returning id`);
      expect(locked.rows).toHaveLength(1);
      await api.client.pauses.resume.mutate({ kind: "queue", name: "stray" });
      expect(await waitForRun(database.url, id, isFinished, 20_000)).toMatchObject({
        status: "succeeded",
        attempts: 1,
      });
    } finally {
      await worker.close();
    }
  });

  it("a worker that stops before its search for lost jobs leaves it to the next one, and never searches on its closed pool", async () => {
    const { id } = await api.client.runs.enqueue.mutate({ task: "conveyor.noop", input: {} });
    await api.conveyor.db.execute(sql`delete from graphile_worker._private_jobs where payload->>'runId' = ${id}`);
    await api.conveyor.db.execute(sql`delete from lost_job_sweeps`);
    const gaveBackMessage = "gave back the jobs of runs that had lost theirs";
    const logged: string[] = [];
    let onGaveBack = () => {};
    const gaveBack = new Promise<void>((resolve) => (onGaveBack = resolve));
    const logger = pino(
      { level: "warn" },
      {
        write(line: string) {
          const { msg } = JSON.parse(line) as { msg: string };
          logged.push(msg);
          if (msg === gaveBackMessage) onGaveBack();
        },
      },
    );
    const incarnation = (pool: ReturnType<typeof createPool>, workerId: string) =>
      new HeartbeatLoop({
        db: createDatabase(pool),
        workerId,
        lockIds: new Set(),
        jobsInFlight: null,
        heartbeatMs: 100,
        deadAfterMs: 300,
        afterBeat: async () => {},
        onSilent: () => {},
        logger,
      });

    // The first incarnation finds the server unsearched and stops, its pool ended, before its search.
    const firstPool = createPool(database.url, 1);
    const first = incarnation(firstPool, "stopped-early");
    await first.beatNow();
    first.stop();
    await firstPool.end();

    const nextPool = createPool(database.url, 1);
    const next = incarnation(nextPool, "started-next");
    try {
      await next.beatNow();
      await gaveBack;
      expect(logged).toEqual([gaveBackMessage]);
      const jobs = await api.conveyor.db.execute(
        sql`select id from graphile_worker._private_jobs where payload->>'runId' = ${id}`,
      );
      expect(jobs.rows).toHaveLength(1);
    } finally {
      next.stop();
      await nextPool.end();
    }
  });
});
