import { once } from "node:events";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { metrics } from "../server/src/metrics/metrics.js";
import { isFinished, startFileConveyor, waitForEvents, waitForRun } from "./fixtures/testConveyor.js";
import { watchedAttempts, watchedEvents } from "./fixtures/testTasks.js";

/*
 * A run's code starts from its job before its claim is recorded (server/src/worker/runExecutor.ts):
 * what a user of the runs can tell of that.
 */

const { database, app } = await startFileConveyor("optimistic");
const { db } = app.conveyor;

type EventRow = {
  id: string;
  type: string;
  /** The transaction that wrote it. */
  xmin: string;
};

async function eventsOf(runId: string): Promise<EventRow[]> {
  const rows = await db.execute<EventRow>(
    sql`select e.id::text as id, e.type, e.xmin::text as xmin from events e where e.run_id = ${runId} order by e.id`,
  );
  return rows.rows;
}

async function jobsOf(runId: string): Promise<number> {
  const rows = await db.execute<{ n: number }>(
    sql`select count(*)::int as n from graphile_worker.jobs where key = ${`run:${runId}`}`,
  );
  return rows.rows[0]?.n ?? 0;
}

/** Read as a number: the series prom-client hands out are live, and change under a later read. */
async function refusedAttemptsOf(task: string): Promise<number> {
  const series = (await metrics.attemptsRefused.get()).values.find((value) => value.labels.task === task);
  return series?.value ?? 0;
}

describe("a run started from its job", () => {
  it("records its claim and its quick outcome in one update: run.started, then run.succeeded, in one transaction", async () => {
    const { id } = await app.client.runs.enqueue.mutate({ task: "conveyor.noop", input: {} });
    const run = await waitForRun(database.url, id, isFinished);
    expect(run).toMatchObject({ status: "succeeded", attempts: 1 });
    const events = await eventsOf(id);
    expect(events.map((event) => event.type)).toEqual(["run.queued", "run.started", "run.succeeded"]);
    const [, started, succeeded] = events;
    expect(started?.xmin).toBe(succeeded?.xmin);
    expect(BigInt(started?.id ?? 0)).toBeLessThan(BigInt(succeeded?.id ?? 0));
    // Its start is when its code began, never after its end.
    expect(run.startedAt).not.toBeNull();
    expect(new Date(run.startedAt ?? 0).getTime()).toBeLessThanOrEqual(new Date(run.finishedAt ?? 0).getTime());
  });

  it("ends its graphile-worker job in the statement that records its success", async () => {
    const { id } = await app.client.runs.enqueue.mutate({ task: "conveyor.noop", input: {} });
    // Read as soon as the success is announced (on its commit): the job is gone with it.
    const jobsLeft = await waitForEvents(
      database.url,
      async () => {
        const types = (await eventsOf(id)).map((event) => event.type);
        return types.includes("run.succeeded") ? jobsOf(id) : undefined;
      },
      () => `run ${id} never succeeded`,
    );
    expect(jobsLeft).toBe(0);
  });

  it("aborts, discards and records nothing of an attempt whose claim is refused (its run cancelled after the job was fetched)", async () => {
    const refusedBefore = await refusedAttemptsOf("test.watched");
    const { id } = await app.client.runs.enqueue.mutate({
      task: "test.watched",
      input: { ms: 30_000 },
      options: { delayMs: 600_000 },
    });
    // The run is cancelled, but its job is left due: as if the cancellation committed just after
    // a worker fetched the job and started the attempt.
    await db.execute(sql`update runs set status = 'cancelled', finished_at = now() where id = ${id}`);
    const aborted = once(watchedEvents, "aborted", { signal: AbortSignal.timeout(15_000) });
    await db.execute(sql`update graphile_worker._private_jobs set run_at = now() where key = ${`run:${id}`}`);
    await aborted;
    await app.conveyor.worker?.executor.whenIdle();

    expect(watchedAttempts.get(id)).toEqual({ attempts: [1], aborted: ["ClaimRefusedError"] });
    expect((await eventsOf(id)).map((event) => event.type)).toEqual(["run.scheduled"]);
    expect(await app.client.runs.get.query({ id })).toMatchObject({ status: "cancelled", attempts: 0, output: null });
    expect((await refusedAttemptsOf("test.watched")) - refusedBefore).toBe(1);
  });

  it("starts again under the claim's own attempt number when the run moved on since its job was added", async () => {
    const { id } = await app.client.runs.enqueue.mutate({
      task: "test.watched",
      // Long enough that the refusal of its claim, not its end, comes first.
      input: { ms: 500 },
      options: { delayMs: 600_000 },
    });
    // As a reaper leaves a run whose worker died mid-attempt: queued, that attempt counted, the
    // job (which still says attempt 1) left as it was.
    await db.execute(sql`update runs set status = 'queued', attempts = 1, max_attempts = 2 where id = ${id}`);
    await db.execute(sql`update graphile_worker._private_jobs set run_at = now() where key = ${`run:${id}`}`);
    const run = await waitForRun(database.url, id, isFinished);
    expect(run).toMatchObject({ status: "succeeded", attempts: 2 });
    expect(watchedAttempts.get(id)).toEqual({ attempts: [1, 2], aborted: ["ClaimRefusedError"] });
    const types = (await eventsOf(id)).map((event) => event.type);
    expect(types).toEqual(["run.scheduled", "run.started", "run.succeeded"]);
  });
});
