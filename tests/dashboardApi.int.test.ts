import type { Run } from "@conveyor/shared";
import { describe, expect, it } from "vitest";
import { badRequest } from "./fixtures/rejection.js";
import { isFinished, isRunning, startFileConveyor, waitForRun } from "./fixtures/testConveyor.js";

const { database, app } = await startFileConveyor("dashboard_api");

describe("runs.list filters", () => {
  it("filters by queue, time range, and finds a run by id or idempotency key", async () => {
    const before = new Date();
    const queued = await app.client.runs.enqueue.mutate({
      task: "conveyor.noop",
      input: {},
      options: { queue: "mail" },
    });
    const keyed = await app.client.runs.enqueue.mutate({
      task: "conveyor.noop",
      input: {},
      options: { idempotencyKey: "order-7" },
    });
    const byQueue = await app.client.runs.list.query({ queue: "mail" });
    expect(byQueue.items.map((run) => run.id)).toEqual([queued.id]);
    const inRange = await app.client.runs.list.query({
      createdAfter: before,
      createdBefore: new Date(Date.now() + 1_000),
    });
    expect(inRange.items.map((run) => run.id)).toEqual([keyed.id, queued.id]);
    const none = await app.client.runs.list.query({ createdBefore: before });
    expect(none.items.map((run) => run.id)).not.toContain(queued.id);
    expect((await app.client.runs.list.query({ search: keyed.id })).items.map((run) => run.id)).toEqual([keyed.id]);
    expect((await app.client.runs.list.query({ search: "order-7" })).items.map((run) => run.id)).toEqual([keyed.id]);
    expect((await app.client.runs.list.query({ search: "nothing-like-this" })).items).toEqual([]);
  });

  it("finds runs by every status, each through the index that answers it, and by flow", async () => {
    const flow = await app.client.flows.chain.mutate({
      steps: [
        { task: "conveyor.sleep", input: { ms: 60_000 } },
        { task: "conveyor.noop", input: {} },
      ],
    });
    const [sleeping = "", waiting = ""] = flow.runIds;
    const scheduled = await app.client.runs.enqueue.mutate({
      task: "conveyor.noop",
      input: {},
      options: { delayMs: 60_000 },
    });
    const cancelled = await app.client.runs.enqueue.mutate({
      task: "conveyor.noop",
      input: {},
      options: { delayMs: 60_000 },
    });
    await app.client.runs.cancel.mutate({ id: cancelled.id });
    const failed = await app.client.runs.enqueue.mutate({ task: "test.refuses", input: {} });
    const succeeded = await app.client.runs.enqueue.mutate({ task: "conveyor.noop", input: {} });
    await waitForRun(database.url, sleeping, isRunning);
    await waitForRun(database.url, failed.id, isFinished);
    await waitForRun(database.url, succeeded.id, isFinished);

    const idsWith = async (status: Run["status"]) =>
      (await app.client.runs.list.query({ status, limit: 100 })).items.map((run) => run.id);
    expect(await idsWith("running")).toEqual([sleeping]);
    expect(await idsWith("waiting")).toEqual([waiting]);
    expect(await idsWith("scheduled")).toContain(scheduled.id);
    expect(await idsWith("scheduled")).not.toContain(cancelled.id);
    expect(await idsWith("cancelled")).toContain(cancelled.id);
    expect(await idsWith("failed")).toContain(failed.id);
    expect(await idsWith("succeeded")).toContain(succeeded.id);
    expect(await idsWith("succeeded")).not.toContain(failed.id);
    const byFlow = await app.client.runs.list.query({ flowId: flow.id });
    expect(byFlow.items.map((run) => run.id)).toEqual([waiting, sleeping]);
    expect((await app.client.runs.list.query({ scheduleId: crypto.randomUUID() })).items).toEqual([]);
    await app.client.flows.cancel.mutate({ id: flow.id });
  });

  it("refuses a malformed flow or schedule id, naming the field", async () => {
    const refused = await badRequest(app.client.runs.list.query({ flowId: "flow-7" }));
    expect(refused.issues.map((issue) => issue.path)).toEqual([["flowId"]]);
    const schedule = await badRequest(app.client.runs.list.query({ scheduleId: "nightly" }));
    expect(schedule.issues.map((issue) => issue.path)).toEqual([["scheduleId"]]);
  });
});

describe("bulk actions", () => {
  it("retryMany retries failed runs and skips the rest; cancelMany cancels unfinished ones", async () => {
    const { ids } = await app.client.runs.enqueueMany.mutate({
      items: [
        { task: "test.flaky", input: { failures: 1 }, options: { maxAttempts: 1 } },
        { task: "test.flaky", input: { failures: 1 }, options: { maxAttempts: 1 } },
        { task: "conveyor.noop", input: {} },
      ],
    });
    for (const id of ids) await waitForRun(database.url, id, isFinished);
    const { retried } = await app.client.runs.retryMany.mutate({ ids });
    expect(retried.sort()).toEqual(ids.slice(0, 2).sort());
    for (const id of ids.slice(0, 2)) expect((await waitForRun(database.url, id, isFinished)).status).toBe("succeeded");

    const later = await app.client.runs.enqueueMany.mutate({
      items: [
        { task: "conveyor.noop", input: {}, options: { delayMs: 60_000 } },
        { task: "conveyor.noop", input: {}, options: { delayMs: 60_000 } },
      ],
    });
    const { cancelled } = await app.client.runs.cancelMany.mutate({ ids: [...later.ids, ids[2] ?? ""] });
    expect(cancelled.sort()).toEqual([...later.ids].sort());
  });

  it("bulk actions need an operator", async () => {
    await expect(app.clients.viewer.runs.cancelMany.mutate({ ids: [crypto.randomUUID()] })).rejects.toMatchObject({
      data: { code: "FORBIDDEN" },
    });
  });
});

describe("stats.overview", () => {
  it("reports throughput per minute, failure rate, queue depth and durations per task", async () => {
    const ok = await app.client.runs.enqueue.mutate({ task: "conveyor.sleep", input: { ms: 20 } });
    const bad = await app.client.runs.enqueue.mutate({ task: "test.refuses", input: {} });
    await app.client.runs.enqueue.mutate({
      task: "conveyor.noop",
      input: {},
      options: { delayMs: 60_000, queue: "later" },
    });
    await waitForRun(database.url, ok.id, isFinished);
    await waitForRun(database.url, bad.id, isFinished);
    const overview = await app.clients.viewer.stats.overview.query({ windowMinutes: 15 });
    expect(overview.throughput.length).toBeGreaterThanOrEqual(15);
    const finished = overview.throughput.reduce((total, minute) => total + minute.succeeded + minute.failed, 0);
    expect(finished).toBeGreaterThanOrEqual(2);
    expect(overview.failureRate).toBeGreaterThan(0);
    expect(overview.failureRate).toBeLessThan(1);
    expect(overview.queueDepth).toContainEqual({ queue: "later", queued: 1, running: 0 });
    const sleep = overview.durations.find((row) => row.task === "conveyor.sleep");
    expect(sleep?.p50Ms).toBeGreaterThanOrEqual(20);
    expect(sleep?.p95Ms).toBeGreaterThanOrEqual(sleep?.p50Ms ?? 0);
  });
});

describe("the overview's rollups", () => {
  it("counts a failure, and takes it back when the run is retried and succeeds", async () => {
    const failedIn = async () => {
      const overview = await app.client.stats.overview.query({ windowMinutes: 5 });
      const flaky = overview.durations.find((row) => row.task === "test.flaky");
      return { failed: overview.throughput.reduce((sum, minute) => sum + minute.failed, 0), flaky: flaky?.count ?? 0 };
    };
    const before = await failedIn();
    const run = await app.client.runs.enqueue.mutate({
      task: "test.flaky",
      input: { failures: 1 },
      options: { maxAttempts: 1 },
    });
    expect((await waitForRun(database.url, run.id, isFinished)).status).toBe("failed");
    expect(await failedIn()).toEqual({ failed: before.failed + 1, flaky: before.flaky });
    await app.client.runs.retry.mutate({ id: run.id });
    expect((await waitForRun(database.url, run.id, isFinished)).status).toBe("succeeded");
    expect(await failedIn()).toEqual({ failed: before.failed, flaky: before.flaky + 1 });
  });
});
