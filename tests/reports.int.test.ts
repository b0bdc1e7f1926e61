import { tmpdir } from "node:os";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { schema } from "../server/src/db/client.js";
import { type ExampleWorker, startExampleWorker } from "./fixtures/exampleWorker.js";
import { isFinished, startFileConveyor, waitForRun } from "./fixtures/testConveyor.js";

const { database, app } = await startFileConveyor("reports", { worker: false });
let worker: ExampleWorker;

beforeAll(async () => {
  worker = await startExampleWorker(database.url, { storageDir: tmpdir() });
});

afterAll(async () => {
  await worker?.close();
});

async function generate(input: { userId: number; version?: number }) {
  const { id } = await app.clients.operator.runs.enqueue.mutate({
    task: "report.generate",
    input: { ...input, failureRate: 0 },
  });
  return waitForRun(database.url, id, isFinished);
}

async function logsOf(runId: string): Promise<string[]> {
  const rows = await app.conveyor.db.execute<{ message: string }>(
    sql`select payload->>'message' as message from events where run_id = ${runId} and type = 'run.log' order by id`,
  );
  return rows.rows.map((row) => row.message);
}

describe("report.generate, once per user and version", () => {
  it("builds the report on the first run and keeps it, with progress 5/5", async () => {
    const run = await generate({ userId: 41 });
    expect(run).toMatchObject({ status: "succeeded", output: { userId: 41, reportUrl: `/reports/41/${run.id}.pdf` } });
    expect(run.progress).toEqual({ current: 5, total: 5, message: "Step 5/5" });
    expect(run.input).toEqual({ userId: 41, failureRate: 0 });
    expect(await logsOf(run.id)).toContain("report generated");
    const { items } = await app.clients.viewer.reports.list.query({ userId: 41 });
    expect(items).toEqual([
      expect.objectContaining({ userId: 41, version: 1, runId: run.id, reportUrl: `/reports/41/${run.id}.pdf` }),
    ]);
  });

  it("a repeated run returns the existing report without building it again", async () => {
    const first = await generate({ userId: 42 });
    const second = await generate({ userId: 42, version: 1 });
    expect(second.status).toBe("succeeded");
    expect(second.output).toEqual(first.output);
    expect(await logsOf(second.id)).toContain("report already generated");
    const stepsOfSecond = await app.conveyor.db.execute<{ n: number }>(
      sql`select count(*)::int as n from events where run_id = ${second.id} and payload->>'message' like 'Step %'`,
    );
    expect(stepsOfSecond.rows[0]?.n).toBe(0);
    const rows = await app.conveyor.db.select().from(schema.reports).where(eq(schema.reports.userId, 42));
    expect(rows).toHaveLength(1);
  });

  it("a new version is a new report", async () => {
    const first = await generate({ userId: 43 });
    const second = await generate({ userId: 43, version: 2 });
    expect(second.output).toEqual({ userId: 43, reportUrl: `/reports/43/${second.id}.pdf` });
    expect(second.output).not.toEqual(first.output);
    const { items } = await app.clients.viewer.reports.list.query({ userId: 43 });
    expect(items.map((report) => report.version)).toEqual([2, 1]);
  });

  it("runs racing for the same report all return the one that was kept", async () => {
    const runs = await Promise.all([generate({ userId: 44 }), generate({ userId: 44 }), generate({ userId: 44 })]);
    const urls = new Set(runs.map((run) => (run.output as { reportUrl: string }).reportUrl));
    expect(urls.size).toBe(1);
    const rows = await app.conveyor.db.select().from(schema.reports).where(eq(schema.reports.userId, 44));
    expect(rows).toHaveLength(1);
    expect(urls).toContain(rows[0]?.reportUrl);
  });

  it("a run that finds a report kept by an earlier attempt returns it (a crash after the insert)", async () => {
    const earlier = "0190a0a0-0000-7000-8000-000000000045";
    await app.conveyor.db
      .insert(schema.reports)
      .values({ userId: 45, version: 1, runId: earlier, reportUrl: `/reports/45/${earlier}.pdf` });
    const run = await generate({ userId: 45 });
    expect(run.output).toEqual({ userId: 45, reportUrl: `/reports/45/${earlier}.pdf` });
  });

  it("reports.list pages newest first and refuses a page over the limit", async () => {
    const page = await app.clients.viewer.reports.list.query({ limit: 2 });
    expect(page.items).toHaveLength(2);
    const [newer, older] = page.items;
    expect((newer?.id ?? 0) > (older?.id ?? 0)).toBe(true);
    expect(page.nextCursor).toBe(older?.id);
    await expect(app.clients.viewer.reports.list.query({ limit: 201 })).rejects.toThrow(/pageSize/);
  });
});

describe("the nightly report schedule", () => {
  it("ships disabled, at 02:00 UTC, enqueueing report.generate for user 1", async () => {
    const { items } = await app.clients.viewer.schedules.list.query({});
    const nightly = items.find((schedule) => schedule.name === "nightly-report");
    expect(nightly).toMatchObject({
      cron: "0 2 * * *",
      timezone: "UTC",
      enabled: false,
      nextFireAt: null,
      target: { kind: "task", task: "report.generate", input: { userId: 1, failureRate: 0 } },
    });
  });

  it("can be turned on, and then fires at the next 02:00", async () => {
    const { items } = await app.clients.viewer.schedules.list.query({});
    const nightly = items.find((schedule) => schedule.name === "nightly-report");
    if (!nightly) throw new Error("the nightly-report schedule is missing");
    const resumed = await app.client.schedules.resume.mutate({ id: nightly.id });
    expect(resumed.enabled).toBe(true);
    expect(resumed.nextFireAt?.toISOString()).toMatch(/T02:00:00\.000Z$/);
    await app.client.schedules.pause.mutate({ id: nightly.id });
  });
});
