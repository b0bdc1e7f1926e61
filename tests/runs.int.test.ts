import { TRPCClientError } from "@trpc/client";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { schema } from "../server/src/db/client.js";
import { badRequest } from "./fixtures/rejection.js";
import { isFinished, startFileConveyor, waitForRun } from "./fixtures/testConveyor.js";

const { database, app } = await startFileConveyor("runs");

async function countRuns(): Promise<number> {
  const [row] = await app.conveyor.db.select({ count: sql<number>`count(*)::int` }).from(schema.runs);
  return row?.count ?? 0;
}

async function eventsOf(runId: string) {
  const rows = await app.conveyor.db.execute<{ type: string; payload: Record<string, unknown> }>(
    sql`select type, payload from events where run_id = ${runId} order by id`,
  );
  return rows.rows;
}

describe("enqueue and run", () => {
  it("a report enqueued over HTTP succeeds with its typed output and progress 5/5", async () => {
    const { id, status } = await app.client.runs.enqueue.mutate({
      task: "report.generate",
      input: { userId: 7, failureRate: 0 },
    });
    expect(status).toBe("queued");
    const run = await waitForRun(database.url, id, isFinished);
    expect(run.status).toBe("succeeded");
    expect(run.output).toEqual({ userId: 7, reportUrl: `/reports/7/${id}.pdf` });
    expect(run.progress).toEqual({ current: 5, total: 5, message: "Step 5/5" });
    expect(run.attempts).toBe(1);
    expect(run.startedAt).toBeInstanceOf(Date);
    expect(run.finishedAt?.getTime()).toBeGreaterThanOrEqual(run.startedAt?.getTime() ?? Number.POSITIVE_INFINITY);

    const fetched = await app.client.runs.get.query({ id });
    expect(fetched).toMatchObject({ id, task: "report.generate", status: "succeeded", maxAttempts: 5 });
    expect(fetched.createdAt).toBeInstanceOf(Date);

    const types = (await eventsOf(id)).map((event) => event.type);
    expect(types[0]).toBe("run.queued");
    expect(types).toContain("run.started");
    expect(types).toContain("run.progress");
    expect(types).toContain("run.log");
    expect(types.at(-1)).toBe("run.succeeded");
  });

  it("applies the schema's defaults to the stored input", async () => {
    const { id } = await app.client.runs.enqueue.mutate({ task: "report.generate", input: { userId: 3 } });
    const run = await app.client.runs.get.query({ id });
    expect(run.input).toEqual({ userId: 3, failureRate: 0.2 });
  });

  it("a flaky task is retried with backoff and succeeds on a later attempt", async () => {
    const { id } = await app.client.runs.enqueue.mutate({ task: "test.flaky", input: { failures: 2 } });
    const run = await waitForRun(database.url, id, isFinished);
    expect(run.status).toBe("succeeded");
    expect(run.output).toEqual({ succeededOnAttempt: 3 });
    expect(run.attempts).toBe(3);
    expect(run.error).toBeNull();
    const retries = (await eventsOf(id)).filter((event) => event.type === "run.retrying");
    expect(retries).toHaveLength(2);
    for (const retry of retries) expect(typeof retry.payload.nextAttemptAt).toBe("string");
  });

  it("a throwing task goes through retrying and fails after maxAttempts with its error", async () => {
    const { id } = await app.client.runs.enqueue.mutate({
      task: "test.flaky",
      input: { failures: 10 },
      options: { maxAttempts: 2 },
    });
    const run = await waitForRun(database.url, id, isFinished);
    // The retrying state is brief: read it from the run's history rather than race it.
    const retrying = (await eventsOf(id)).find((event) => event.type === "run.retrying");
    expect(retrying?.payload).toMatchObject({
      attempt: 1,
      error: { message: "flaky failure on attempt 1", attempt: 1, isRetryable: true },
    });
    expect(Date.parse(String(retrying?.payload.nextAttemptAt))).toBeGreaterThan(0);
    expect(run.status).toBe("failed");
    expect(run.attempts).toBe(2);
    expect(run.nextAttemptAt).toBeNull();
    expect(run.error).toMatchObject({ name: "Error", message: "flaky failure on attempt 2", attempt: 2 });
    expect(run.error?.stack).toContain("flaky failure on attempt 2");
    const types = (await eventsOf(id)).map((event) => event.type);
    expect(types.filter((type) => type === "run.started")).toHaveLength(2);
    expect(types.at(-1)).toBe("run.failed");
  });

  it("output that violates the task's schema fails the run at once, naming the field", async () => {
    const { id } = await app.client.runs.enqueue.mutate({ task: "test.bad-output", input: {} });
    const run = await waitForRun(database.url, id, isFinished);
    expect(run.status).toBe("failed");
    expect(run.attempts).toBe(1);
    expect(run.output).toBeNull();
    expect(run.error).toMatchObject({ name: "OutputValidationError", isRetryable: false });
    expect(run.error?.message).toMatch(/output does not match the task's schema: count: .*expected number/);
  });

  it("a non-retryable error fails the run without using its other attempts", async () => {
    const { id } = await app.client.runs.enqueue.mutate({ task: "test.refuses", input: {} });
    const run = await waitForRun(database.url, id, isFinished);
    expect(run).toMatchObject({ status: "failed", attempts: 1, maxAttempts: 5 });
    expect(run.error).toMatchObject({ name: "NonRetryableError", message: "account 42 does not exist" });
  });

  it("an attempt past its timeout fails with a timeout error and counts as an attempt", async () => {
    const { id } = await app.client.runs.enqueue.mutate({
      task: "test.stubborn",
      input: { ms: 2_000 },
      options: { timeoutMs: 50, maxAttempts: 2 },
    });
    const run = await waitForRun(database.url, id, isFinished);
    expect(run.status).toBe("failed");
    expect(run.attempts).toBe(2);
    expect(run.error).toMatchObject({ name: "TaskTimeoutError", message: "attempt 2 timed out after 50 ms" });
  });

  it("a run delayed into the future is scheduled, then runs when due", async () => {
    const { id, status } = await app.client.runs.enqueue.mutate({
      task: "conveyor.noop",
      input: { hello: "later" },
      options: { delayMs: 300 },
    });
    expect(status).toBe("scheduled");
    const run = await waitForRun(database.url, id, isFinished);
    expect(run.status).toBe("succeeded");
    expect(run.output).toEqual({ hello: "later" });
    expect(run.startedAt?.getTime()).toBeGreaterThanOrEqual(run.runAt.getTime());
  });

  it("progress reported in a tight loop is coalesced, and its last value is kept", async () => {
    const { id } = await app.client.runs.enqueue.mutate({ task: "test.chatty", input: { times: 10_000 } });
    const run = await waitForRun(database.url, id, isFinished);
    expect(run.status).toBe("succeeded");
    expect(run.progress).toEqual({ current: 10_000, total: 10_000, message: "item 10000" });
    const events = await eventsOf(id);
    expect(events.filter((event) => event.type === "run.progress").length).toBeLessThanOrEqual(20);
    const logs = events.filter((event) => event.type === "run.log");
    expect(logs).toHaveLength(10);
    expect(logs[0]?.payload).toMatchObject({ level: "info", message: "done 1000", fields: { i: 1000 } });
  });
});

describe("bad input is refused and nothing is written", () => {
  it("rejects input that fails the task's schema, naming the field path", async () => {
    const before = await countRuns();
    const { message, issues } = await badRequest(
      app.client.runs.enqueue.mutate({ task: "report.generate", input: { userId: "seven", failureRate: 2 } }),
    );
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: ["input", "userId"], message: expect.stringMatching(/expected number/) },
        { path: ["input", "failureRate"], message: expect.stringMatching(/<=1/) },
      ]),
    );
    expect(message).toMatch(/^input\.userId: /);
    expect(await countRuns()).toBe(before);
  });

  it("rejects an unknown task, naming it", async () => {
    const before = await countRuns();
    const { message, issues } = await badRequest(app.client.runs.enqueue.mutate({ task: "report.generat", input: {} }));
    expect(issues).toEqual([{ path: ["task"], message: expect.stringContaining('unknown task "report.generat"') }]);
    expect(message).toContain("report.generate");
    expect(await countRuns()).toBe(before);
  });

  it("rejects invalid options, naming the option", async () => {
    const { issues } = await badRequest(
      app.client.runs.enqueue.mutate({ task: "conveyor.noop", input: {}, options: { maxAttempts: 0, delayMs: -1 } }),
    );
    expect(issues.map((issue) => issue.path.join("."))).toEqual(
      expect.arrayContaining(["options.maxAttempts", "options.delayMs"]),
    );
  });

  it("rejects an input over the size limit, naming the limit", async () => {
    const { issues } = await badRequest(
      app.client.runs.enqueue.mutate({ task: "conveyor.noop", input: { blob: "x".repeat(300 * 1024) } }),
    );
    expect(issues).toEqual([{ path: ["input"], message: expect.stringContaining("runInputBytes") }]);
  });

  it("enqueueMany writes every run or none: one bad item rejects the whole batch", async () => {
    const before = await countRuns();
    const { issues } = await badRequest(
      app.client.runs.enqueueMany.mutate({
        items: [
          { task: "conveyor.noop", input: { n: 1 } },
          { task: "conveyor.sleep", input: { ms: "soon" } },
        ],
      }),
    );
    expect(issues).toEqual([{ path: ["items", 1, "input", "ms"], message: expect.stringMatching(/expected number/) }]);
    expect(await countRuns()).toBe(before);
  });

  it("asking for an unknown run answers NOT_FOUND", async () => {
    const error = await app.client.runs.get.query({ id: "01900000-0000-7000-8000-000000000000" }).catch((e) => e);
    expect(error).toBeInstanceOf(TRPCClientError);
    expect((error as TRPCClientError<never>).data).toMatchObject({ code: "NOT_FOUND" });
  });
});

describe("listing", () => {
  it("enqueueMany enqueues a batch in order, and the list pages newest first without overlap", async () => {
    const { ids } = await app.client.runs.enqueueMany.mutate({
      items: Array.from({ length: 7 }, (_, n) => ({ task: "conveyor.noop", input: { n } })),
    });
    expect(ids).toHaveLength(7);
    for (const id of ids) await waitForRun(database.url, id, isFinished);

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await app.client.runs.list.query({ task: "conveyor.noop", limit: 3, ...(cursor ? { cursor } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.slice(0, 7)).toEqual([...ids].reverse());
  });

  it("filters by status", async () => {
    const failed = await app.client.runs.list.query({ status: "failed" });
    expect(failed.items.length).toBeGreaterThan(0);
    expect(failed.items.every((item) => item.status === "failed")).toBe(true);
    expect(failed.items[0]).not.toHaveProperty("input");
  });

  it("refuses a page larger than the limit, naming it", async () => {
    const { issues } = await badRequest(app.client.runs.list.query({ limit: 10_000 }));
    expect(issues[0]?.path).toEqual(["limit"]);
    expect(issues[0]?.message).toContain("pageSize");
  });
});

describe("tasks", () => {
  it("lists every task with its defaults and its input as JSON Schema", async () => {
    const tasks = await app.client.tasks.list.query();
    const report = tasks.find((task) => task.name === "report.generate");
    expect(report?.defaults.maxAttempts).toBe(5);
    expect(report?.inputSchema).toMatchObject({
      type: "object",
      properties: { userId: { type: "integer" }, failureRate: { type: "number", default: 0.2 } },
      required: ["userId"],
    });
    expect(tasks.map((task) => task.name)).toEqual(
      expect.arrayContaining(["email.send", "conveyor.noop", "conveyor.sleep"]),
    );
  });

  it("email.send writes the email to the outbox exactly once", async () => {
    const { id } = await app.client.runs.enqueue.mutate({
      task: "email.send",
      input: { to: "ada@example.com", subject: "Welcome", body: "Hello Ada" },
    });
    const run = await waitForRun(database.url, id, isFinished);
    expect(run.output).toEqual({ status: "sent", to: "ada@example.com" });
    const rows = await app.conveyor.db.select().from(schema.outbox);
    expect(rows.filter((row) => row.runId === id)).toHaveLength(1);
  });

  it("health answers ok over tRPC and plain HTTP", async () => {
    expect(await app.client.health.query()).toMatchObject({ status: "ok", database: "ok" });
    const response = await fetch(`${app.conveyor.url}/health`);
    expect(response.status).toBe(200);
    // Everything this process runs is part of it: the database, the live events' listener, the worker.
    expect(await response.json()).toMatchObject({
      status: "ok",
      database: "ok",
      events: "listening",
      worker: { state: "running", workerId: app.conveyor.worker?.workerId, recoveries: 0 },
    });
  });
});
