import { describe, expect, it } from "vitest";
import { isFinished, startFileConveyor, waitForRun } from "./fixtures/testConveyor.js";

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
