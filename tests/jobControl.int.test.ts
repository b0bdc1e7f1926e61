import { TRPCClientError } from "@trpc/client";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { applyRetention } from "../server/src/history/retention.js";
import { jobsPerTaskSlot } from "../server/src/worker/startWorker.js";
import { awaitFreshWindow, windowEndAfterDeferral } from "./fixtures/rateWindows.js";
import {
  isFinished,
  isRunning,
  startFileConveyor,
  testWorkerConcurrency,
  waitForEvents,
  waitForRun,
} from "./fixtures/testConveyor.js";
import { exclusiveGauge, limited } from "./fixtures/testTasks.js";

const { database, app } = await startFileConveyor("control");

/** The id of the run's first `run.started` event: the order in which runs were claimed. */
async function startedEventId(runId: string): Promise<bigint> {
  const rows = await app.conveyor.db.execute<{ id: string | null }>(
    sql`select min(id)::text as id from events where run_id = ${runId} and type = 'run.started'`,
  );
  const id = rows.rows[0]?.id;
  if (!id) throw new Error(`run ${runId} has no run.started event`);
  return BigInt(id);
}

async function eventTypes(runId: string): Promise<string[]> {
  const rows = await app.conveyor.db.execute<{ type: string }>(
    sql`select type from events where run_id = ${runId} order by id`,
  );
  return rows.rows.map((row) => row.type);
}

async function jobCount(runId: string): Promise<number> {
  const rows = await app.conveyor.db.execute<{ n: number }>(
    sql`select count(*)::int as n from graphile_worker.jobs where key = ${`run:${runId}`}`,
  );
  return rows.rows[0]?.n ?? 0;
}

describe("runs.cancel", () => {
  it("cancels a scheduled run and removes its job", async () => {
    const { id } = await app.client.runs.enqueue.mutate({
      task: "conveyor.noop",
      input: {},
      options: { delayMs: 60_000 },
    });
    expect(await jobCount(id)).toBe(1);
    const run = await app.client.runs.cancel.mutate({ id });
    expect(run.status).toBe("cancelled");
    expect(await jobCount(id)).toBe(0);
  });

  it("aborts a running task through its signal", async () => {
    const { id } = await app.client.runs.enqueue.mutate({ task: "conveyor.sleep", input: { ms: 30_000 } });
    await waitForRun(database.url, id, isRunning);
    await app.client.runs.cancel.mutate({ id });
    // The worker frees the slot once the task honours its signal; the run stays cancelled.
    await app.conveyor.worker?.executor.whenIdle();
    const run = await app.client.runs.get.query({ id });
    expect(run.status).toBe("cancelled");
    expect(run.output).toBeNull();
    const types = await eventTypes(id);
    expect(types).toContain("run.cancelled");
    expect(types).not.toContain("run.succeeded");
  });

  it("discards the late result of a task that ignores its signal", async () => {
    const { id } = await app.client.runs.enqueue.mutate({ task: "test.stubborn", input: { ms: 400 } });
    await waitForRun(database.url, id, isRunning);
    await app.client.runs.cancel.mutate({ id });
    await app.conveyor.worker?.executor.whenIdle();
    const run = await app.client.runs.get.query({ id });
    expect(run).toMatchObject({ status: "cancelled", output: null });
    expect(await eventTypes(id)).not.toContain("run.succeeded");
  });

  it("refuses to cancel a finished run, saying why", async () => {
    const { id } = await app.client.runs.enqueue.mutate({ task: "conveyor.noop", input: {} });
    await waitForRun(database.url, id, isFinished);
    const error = await app.client.runs.cancel.mutate({ id }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TRPCClientError);
    expect((error as TRPCClientError<never>).message).toContain("already succeeded");
  });
});

describe("retry and rerun", () => {
  it("retry gives a failed run one more attempt and keeps its history", async () => {
    const { id } = await app.client.runs.enqueue.mutate({
      task: "test.flaky",
      input: { failures: 1 },
      options: { maxAttempts: 1 },
    });
    expect((await waitForRun(database.url, id, isFinished)).status).toBe("failed");
    await app.client.runs.retry.mutate({ id });
    const run = await waitForRun(database.url, id, isFinished);
    expect(run).toMatchObject({ status: "succeeded", attempts: 2, output: { succeededOnAttempt: 2 } });
    const types = await eventTypes(id);
    expect(types.filter((type) => type === "run.started")).toHaveLength(2);
    expect(types).toContain("run.failed");
  });

  it("rerun makes a new linked run with re-validated input", async () => {
    const { id } = await app.client.runs.enqueue.mutate({ task: "test.add", input: { value: 1 } });
    await waitForRun(database.url, id, isFinished);
    const rerun = await app.client.runs.rerun.mutate({ id, input: { value: 41 } });
    const run = await waitForRun(database.url, rerun.id, isFinished);
    expect(run).toMatchObject({ rerunOf: id, output: { value: 42 } });
    const error = await app.client.runs.rerun.mutate({ id, input: { value: "x" } }).catch((caught: unknown) => caught);
    expect((error as TRPCClientError<never>).message).toMatch(/^input\.value: /);
  });
});

describe("enqueue options", () => {
  it("the same idempotency key returns the existing run until it expires", async () => {
    const options = { idempotencyKey: "invoice-42" };
    const first = await app.client.runs.enqueue.mutate({ task: "conveyor.noop", input: { n: 1 }, options });
    const again = await app.client.runs.enqueue.mutate({ task: "conveyor.noop", input: { n: 2 }, options });
    expect(again.id).toBe(first.id);
    const many = await app.client.runs.enqueueMany.mutate({
      items: [
        { task: "conveyor.noop", input: {}, options },
        { task: "conveyor.noop", input: {}, options: { idempotencyKey: "invoice-43" } },
      ],
    });
    expect(many.ids[0]).toBe(first.id);
    expect(many.ids[1]).not.toBe(first.id);
    await app.conveyor.db.execute(
      sql`update run_idempotency_keys set expires_at = now() - interval '1 second' where run_id = ${first.id}`,
    );
    const afterExpiry = await app.client.runs.enqueue.mutate({ task: "conveyor.noop", input: { n: 3 }, options });
    expect(afterExpiry.id).not.toBe(first.id);
  });

  it("higher priority (lower number) runs first among queued runs", async () => {
    // graphile-worker takes `concurrency × jobsPerTaskSlot` jobs at once: as many sleeps run as
    // there are task slots, the rest of those jobs wait for a slot. A gate of two task slots'
    // worth more stays in the table: the high-priority run is fetched at the first free job slot,
    // ahead of those sleeps, and the low-priority one only after all of them, so at least a full
    // set of task slots' worth of sleeps starts between the two. The low one can then only be
    // claimed once the high one's claim has committed: never both in one claim, never a tie.
    const gate = await app.client.runs.enqueueMany.mutate({
      items: Array.from({ length: testWorkerConcurrency * (jobsPerTaskSlot + 2) }, () => ({
        task: "conveyor.sleep",
        input: { ms: 300 },
      })),
    });
    const { ids } = await app.client.runs.enqueueMany.mutate({
      items: [
        { task: "conveyor.noop", input: { p: "low" }, options: { priority: 10 } },
        { task: "conveyor.noop", input: { p: "high" }, options: { priority: -10 } },
      ],
    });
    const [lowId, highId] = ids as [string, string];
    const [low, high] = await Promise.all(ids.map((id) => waitForRun(database.url, id, isFinished)));
    expect(low?.status).toBe("succeeded");
    expect(high?.status).toBe("succeeded");
    expect(high?.startedAt?.getTime()).toBeLessThanOrEqual(low?.startedAt?.getTime() ?? 0);
    // Event ids come from one sequence, in the order the claims took them.
    expect(await startedEventId(highId)).toBeLessThan(await startedEventId(lowId));
    for (const id of gate.ids) await waitForRun(database.url, id, isFinished);
  });

  it("a named queue runs one run at a time", async () => {
    const { ids } = await app.client.runs.enqueueMany.mutate({
      items: Array.from({ length: 4 }, (_, n) => ({
        task: "conveyor.sleep",
        input: { ms: 50 + n },
        options: { queue: "serial" },
      })),
    });
    const finished = await Promise.all(ids.map((id) => waitForRun(database.url, id, isFinished)));
    const runs = finished.sort((a, b) => (a.startedAt?.getTime() ?? 0) - (b.startedAt?.getTime() ?? 0));
    for (let n = 1; n < runs.length; n += 1) {
      expect(runs[n]?.startedAt?.getTime()).toBeGreaterThanOrEqual(
        runs[n - 1]?.finishedAt?.getTime() ?? Number.POSITIVE_INFINITY,
      );
    }
  });

  it("a task's concurrency limit holds inside a worker", async () => {
    exclusiveGauge.peak = 0;
    const { ids } = await app.client.runs.enqueueMany.mutate({
      items: Array.from({ length: 5 }, () => ({ task: "test.exclusive", input: { ms: 40 } })),
    });
    for (const id of ids) expect((await waitForRun(database.url, id, isFinished)).status).toBe("succeeded");
    expect(exclusiveGauge.peak).toBe(1);
  });

  it("a cluster-wide rate limit defers the runs over it to the next window", async () => {
    const windowMs = limited.defaults.rateLimit?.perMs ?? 0;
    await awaitFreshWindow(windowMs);
    const { ids } = await app.client.runs.enqueueMany.mutate({
      items: Array.from({ length: 5 }, (_, n) => ({ task: "test.limited", input: { n } })),
    });
    const settled = await waitForEvents(
      database.url,
      async () => {
        const runs = await Promise.all(ids.map((id) => app.client.runs.get.query({ id })));
        const succeeded = runs.filter((run) => run.status === "succeeded");
        const deferred = runs.filter((run) => run.status === "scheduled");
        return succeeded.length + deferred.length === 5 ? { succeeded, deferred } : undefined;
      },
      () => "the rate-limited runs never settled",
    );
    expect(settled.succeeded).toHaveLength(2);
    expect(settled.deferred).toHaveLength(3);
    for (const run of settled.deferred) {
      expect(run.runAt.getTime()).toBe(await windowEndAfterDeferral(app.conveyor.db, run.id, windowMs));
      expect(run.attempts).toBe(0);
    }
  });
});

describe("retention", () => {
  it("drops the succeeded runs of a day past the cutoff with their partition, keeping its failed ones", async () => {
    const ok = await app.client.runs.enqueue.mutate({ task: "conveyor.noop", input: {} });
    const bad = await app.client.runs.enqueue.mutate({ task: "test.refuses", input: {} });
    const stepped = await app.client.runs.enqueue.mutate({ task: "test.stepped", input: { failures: 0 } });
    await waitForRun(database.url, stepped.id, isFinished);
    expect(await app.client.runs.steps.query({ id: stepped.id })).toHaveLength(1);
    await waitForRun(database.url, ok.id, isFinished);
    await waitForRun(database.url, bad.id, isFinished);
    // Three days on, with a one-day retention: today's and tomorrow's partitions are past it.
    const report = await applyRetention(app.conveyor.db, Date.now() + 3 * 86_400_000, {
      succeededRetentionMs: 86_400_000,
      eventRetentionMs: 30 * 86_400_000,
    });
    expect(report.runPartitions.reduce((sum, partition) => sum + partition.dropped, 0)).toBeGreaterThan(0);
    await expect(app.client.runs.get.query({ id: ok.id })).rejects.toThrow(/does not exist/);
    // A dropped run's stored steps go with it.
    const steps = await app.conveyor.db.execute<{ n: number }>(
      sql`select count(*)::int as n from run_steps where run_id = ${stepped.id}::uuid`,
    );
    expect(steps.rows[0]?.n).toBe(0);
    expect((await app.client.runs.get.query({ id: bad.id })).status).toBe("failed");
    // Events go with their own day's partition, at the event retention.
    expect(await eventTypes(bad.id)).toContain("run.failed");
  });
});
