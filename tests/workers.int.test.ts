import { once } from "node:events";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
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
});
