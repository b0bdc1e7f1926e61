import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { sql } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  isFinished,
  isRunning,
  startFileConveyor,
  startTestConveyor,
  type TestConveyor,
  waitForRun,
} from "./fixtures/testConveyor.js";
import { createTestDatabase, type TestDatabase } from "./fixtures/testDatabase.js";
import { spawnWorkerProcess } from "./fixtures/workerProcess.js";

const { database, app: api } = await startFileConveyor("shutdown", { worker: false });

async function jobsFor(runId: string): Promise<number> {
  const result = await api.conveyor.db.execute<{ count: number }>(
    sql`select count(*)::int as count from graphile_worker.jobs where key = ${`run:${runId}`} and locked_at is null`,
  );
  return result.rows[0]?.count ?? 0;
}

describe("shutting a worker down", () => {
  it("lets an attempt that ends within the grace period finish", async () => {
    const worker = await startTestConveyor(database.url, { api: false, env: { SHUTDOWN_GRACE_MS: "10000" } });
    const { id } = await api.client.runs.enqueue.mutate({ task: "conveyor.sleep", input: { ms: 400 } });
    await waitForRun(database.url, id, isRunning);
    await worker.close();
    const run = await api.client.runs.get.query({ id });
    expect(run.status).toBe("succeeded");
  });

  it("returns attempts still running after the grace period to the queue, and another worker completes them", async () => {
    const first = await startTestConveyor(database.url, { api: false, env: { SHUTDOWN_GRACE_MS: "100" } });
    const { ids } = await api.client.runs.enqueueMany.mutate({
      items: [
        // Long enough to be still running however slowly the machine reaches the shutdown.
        { task: "conveyor.sleep", input: { ms: 4_000 } },
        // Ignores its abort signal: it is abandoned after the abort grace period instead.
        { task: "test.stubborn", input: { ms: 4_000 } },
      ],
    });
    for (const id of ids) await waitForRun(database.url, id, isRunning);
    await first.close();

    for (const id of ids) {
      const run = await api.client.runs.get.query({ id });
      expect(run).toMatchObject({ status: "queued", attempts: 0, workerId: null });
      expect(await jobsFor(id)).toBe(1);
    }

    const second = await startTestConveyor(database.url, { api: false });
    try {
      for (const id of ids) {
        const run = await waitForRun(database.url, id, isFinished);
        expect(run).toMatchObject({ status: "succeeded", attempts: 1 });
      }
    } finally {
      await second.close();
    }
  });
});

describe("the server process", () => {
  // Each test gets its own database: a run one test leaves queued must not occupy the next one's worker.
  let processDatabase: TestDatabase;
  let api: TestConveyor;

  beforeEach(async () => {
    processDatabase = await createTestDatabase("process");
    api = await startTestConveyor(processDatabase.url, { worker: false });
  });

  afterEach(async () => {
    await api.close();
    await processDatabase.drop();
  });

  function startProcess(env: Record<string, string>): ChildProcess {
    return spawnWorkerProcess(processDatabase.url, {
      env: { WORKER_CONCURRENCY: "4", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
  }

  async function exitCode(child: ChildProcess): Promise<number | null> {
    const [code] = (await once(child, "exit")) as [number | null];
    return code;
  }

  it("on SIGTERM drains, returns unfinished runs to the queue, leaves nothing running and exits 0", async () => {
    const child = startProcess({ SHUTDOWN_GRACE_MS: "200", ABORT_GRACE_MS: "200" });
    const exited = exitCode(child);
    const { ids } = await api.client.runs.enqueueMany.mutate({
      items: [
        { task: "conveyor.sleep", input: { ms: 200 } },
        { task: "conveyor.sleep", input: { ms: 30_000 } },
      ],
    });
    const [short, long] = ids as [string, string];
    await waitForRun(processDatabase.url, long, isRunning, 30_000);
    await waitForRun(processDatabase.url, short, isFinished, 30_000);
    child.kill("SIGTERM");
    expect(await exited).toBe(0);

    expect((await api.client.runs.get.query({ id: short })).status).toBe("succeeded");
    expect((await api.client.runs.get.query({ id: long })).status).toBe("queued");
    const running = await api.client.runs.list.query({ status: "running" });
    expect(running.items).toEqual([]);
  });

  it("on SIGINT lets a run that ends within the grace period succeed before exiting", async () => {
    const child = startProcess({ SHUTDOWN_GRACE_MS: "20000" });
    const exited = exitCode(child);
    const { id } = await api.client.runs.enqueue.mutate({ task: "conveyor.sleep", input: { ms: 600 } });
    await waitForRun(processDatabase.url, id, isRunning, 30_000);
    child.kill("SIGINT");
    expect(await exited).toBe(0);
    expect((await api.client.runs.get.query({ id })).status).toBe("succeeded");
  });

  it("refuses to start with a bad setting, naming the variable", async () => {
    const child = startProcess({ PORT: "not-a-port", WORKER_CONCURRENCY: "0" });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    expect(await exitCode(child)).toBe(1);
    expect(stderr).toContain("PORT:");
    expect(stderr).toContain("WORKER_CONCURRENCY:");
  });
});
