import { approvalRequest, type Run } from "@conveyor/shared";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { badRequest, rejection } from "./fixtures/rejection.js";
import { isFinished, startFileConveyor, waitForRun } from "./fixtures/testConveyor.js";
import { stepped } from "./fixtures/testTasks.js";

const { database, app } = await startFileConveyor("durable_steps");

const isWaiting = (run: Run) => run.status === "waiting";

/** The types of a run's events, in order. */
async function eventTypes(runId: string): Promise<string[]> {
  const result = await app.conveyor.db.execute<{ type: string }>(
    sql`select type from events where run_id = ${runId}::uuid order by id`,
  );
  return result.rows.map((row) => row.type);
}

async function requestApproval(subject: string, timeoutMs = 86_400_000): Promise<string> {
  const { id } = await app.client.runs.enqueue.mutate({ task: approvalRequest.name, input: { subject, timeoutMs } });
  // Waiting at "decision": its wait is on record, so an event can complete it.
  await waitForRun(database.url, id, isWaiting);
  return id;
}

describe("ctx.step", () => {
  it("runs a step once: a retried attempt gets the stored result instead of running it again", async () => {
    const { id } = await app.client.runs.enqueue.mutate({
      task: stepped.name,
      input: { failures: 2, retryAfterMs: 0 },
    });
    const run = await waitForRun(database.url, id, isFinished);
    expect(run).toMatchObject({ status: "succeeded", attempts: 3 });
    expect(run.output).toEqual({ stepRanOnAttempt: 1, succeededOnAttempt: 3, stepExecutions: 1 });
    const steps = await app.client.runs.steps.query({ id });
    expect(steps).toMatchObject([
      { name: "remember-attempt", kind: "step", status: "completed", output: { attempt: 1 } },
    ]);
  });
});

describe("RetryAfterError", () => {
  it("schedules the next attempt after the delay the task asked for, not the backoff's ten minutes", async () => {
    const { id } = await app.client.runs.enqueue.mutate({
      task: stepped.name,
      input: { failures: 1, retryAfterMs: 1_500 },
    });
    const retrying = await waitForRun(database.url, id, (run) => run.status === "retrying");
    const recorded = await app.conveyor.db.execute<{ delay_ms: number }>(sql`
      select extract(epoch from (payload->>'nextAttemptAt')::timestamptz - created_at) * 1000 as delay_ms
      from events where run_id = ${id}::uuid and type = 'run.retrying'`);
    // The retry's delay is the one asked for, measured on the database's clock.
    expect(Number(recorded.rows[0]?.delay_ms)).toBeCloseTo(1_500, -2);
    expect(retrying.error).toMatchObject({ name: "RetryAfterError", message: "busy on attempt 1", isRetryable: true });
    const run = await waitForRun(database.url, id, isFinished);
    expect(run).toMatchObject({ status: "succeeded", attempts: 2 });
  });
});

describe("ctx.sleep", () => {
  it("suspends the run as waiting with its wake-up time, frees the slot and resumes it once, without using an attempt", async () => {
    const { id } = await app.client.runs.enqueue.mutate({ task: stepped.name, input: { failures: 0, sleepMs: 800 } });
    const waiting = await waitForRun(database.url, id, isWaiting);
    expect(waiting.workerId).toBeNull();
    expect(waiting.nextAttemptAt).not.toBeNull();
    const [nap] = (await app.client.runs.steps.query({ id })).filter((step) => step.name === "nap");
    expect(nap).toMatchObject({ kind: "sleep", status: "waiting" });
    expect(nap?.waitUntil?.getTime()).toBe(waiting.nextAttemptAt?.getTime());

    const run = await waitForRun(database.url, id, isFinished);
    expect(run).toMatchObject({ status: "succeeded", attempts: 1 });
    expect(run.output).toEqual({ stepRanOnAttempt: 1, succeededOnAttempt: 1, stepExecutions: 1 });
    expect(await eventTypes(id)).toEqual(["run.queued", "run.started", "run.waiting", "run.started", "run.succeeded"]);
    expect((run.finishedAt?.getTime() ?? 0) - (nap?.startedAt.getTime() ?? 0)).toBeGreaterThanOrEqual(700);
  });
});

describe("ctx.waitForEvent", () => {
  it("resumes on runs.complete with a payload of the event's schema, once; a bad payload names the field", async () => {
    const id = await requestApproval("invoice-7");
    const steps = await app.client.runs.steps.query({ id });
    expect(steps.map((step) => [step.name, step.kind, step.status])).toEqual([
      ["request", "step", "completed"],
      ["decision", "wait", "waiting"],
    ]);
    expect(steps[1]).toMatchObject({ eventName: "approval.decided", match: { subject: "invoice-7" } });

    const bad = await badRequest(
      app.clients.operator.runs.complete.mutate({
        id,
        waitpoint: "decision",
        output: { subject: "invoice-7", approved: "yes", by: "ops" },
      }),
    );
    expect(bad.issues).toEqual([expect.objectContaining({ path: ["output", "approved"] })]);
    const notAWait = await badRequest(
      app.clients.operator.runs.complete.mutate({ id, waitpoint: "request", output: {} }),
    );
    expect(notAWait.issues).toEqual([expect.objectContaining({ path: ["waitpoint"] })]);
    expect(
      (await rejection(app.clients.viewer.runs.complete.mutate({ id, waitpoint: "decision", output: {} }))).code,
    ).toBe("FORBIDDEN");
    expect((await app.client.runs.get.query({ id })).status).toBe("waiting");

    const decision = { subject: "invoice-7", approved: true, by: "ops" };
    expect(await app.clients.operator.runs.complete.mutate({ id, waitpoint: "decision", output: decision })).toEqual({
      runId: id,
      waitpoint: "decision",
      resumed: true,
    });
    expect(
      await app.clients.operator.runs.complete.mutate({ id, waitpoint: "decision", output: decision }),
    ).toMatchObject({
      resumed: false,
    });
    const run = await waitForRun(database.url, id, isFinished);
    expect(run).toMatchObject({ status: "succeeded", attempts: 1 });
    expect(run.output).toEqual({ subject: "invoice-7", approved: true, decidedBy: "ops", requestedOnAttempt: 1 });
    expect((await eventTypes(id)).filter((type) => type === "run.started")).toHaveLength(2);
  });

  it("a waited-for event emitted twice resumes the run once, and only runs whose match it contains", async () => {
    const mine = await requestApproval("order-1");
    const other = await requestApproval("order-2");
    const payload = { subject: "order-1", approved: false, by: "finance" };
    const first = await app.clients.operator.events.emit.mutate({ name: "approval.decided", payload });
    expect(first).toMatchObject({ resumedRunIds: [mine], isDuplicate: false });
    const second = await app.clients.operator.events.emit.mutate({ name: "approval.decided", payload });
    expect(second.resumedRunIds).toEqual([]);

    const run = await waitForRun(database.url, mine, isFinished);
    expect(run.output).toMatchObject({ approved: false, decidedBy: "finance" });
    expect((await eventTypes(mine)).filter((type) => type === "run.started")).toHaveLength(2);
    expect((await app.client.runs.get.query({ id: other })).status).toBe("waiting");
    await app.client.runs.cancel.mutate({ id: other });
  });

  it("throws WaitTimeoutError at the deadline, which the task can catch", async () => {
    const id = await requestApproval("too-late", 1_000);
    const run = await waitForRun(database.url, id, isFinished);
    expect(run).toMatchObject({ status: "succeeded", attempts: 1 });
    expect(run.output).toMatchObject({ approved: false, decidedBy: "timeout" });
    const steps = await app.client.runs.steps.query({ id });
    expect(steps.find((step) => step.name === "decision")).toMatchObject({ status: "timed_out" });
  });

  it("cancelling a waiting run removes its job, and a late event resumes nothing", async () => {
    const id = await requestApproval("withdrawn");
    await app.client.runs.cancel.mutate({ id });
    const jobs = await app.conveyor.db.execute<{ n: number }>(
      sql`select count(*)::int as n from graphile_worker._private_jobs where key = ${`run:${id}`}`,
    );
    expect(jobs.rows[0]?.n).toBe(0);
    const emitted = await app.clients.operator.events.emit.mutate({
      name: "approval.decided",
      payload: { subject: "withdrawn", approved: true, by: "ops" },
    });
    expect(emitted.resumedRunIds).toEqual([]);
    expect((await app.client.runs.get.query({ id })).status).toBe("cancelled");
  });
});

describe("events.emit", () => {
  it("refuses an unknown event or a bad payload with the field named, writing nothing", async () => {
    const before = await app.conveyor.db.execute<{ n: string }>(
      sql`select concat_ws(',', (select count(*) from runs), (select count(*) from emitted_events)) as n`,
    );
    const unknown = await badRequest(app.clients.operator.events.emit.mutate({ name: "user.vanished", payload: {} }));
    expect(unknown.issues).toEqual([
      expect.objectContaining({ path: ["name"], message: expect.stringContaining('unknown event "user.vanished"') }),
    ]);
    const badPayload = await badRequest(
      app.clients.operator.events.emit.mutate({
        name: "user.registered",
        payload: {
          userId: 1,
          username: "x",
          email: "not-an-email",
          actor: "t",
          registeredAt: new Date().toISOString(),
        },
      }),
    );
    expect(badPayload.issues).toEqual([expect.objectContaining({ path: ["payload", "email"] })]);
    expect(
      (await rejection(app.clients.viewer.events.emit.mutate({ name: "user.registered", payload: {} }))).code,
    ).toBe("FORBIDDEN");
    const after = await app.conveyor.db.execute<{ n: string }>(
      sql`select concat_ws(',', (select count(*) from runs), (select count(*) from emitted_events)) as n`,
    );
    expect(after.rows[0]?.n).toBe(before.rows[0]?.n);
  });

  it("starts a run of every subscribed task with its input made from the payload, once per idempotency key", async () => {
    const payload = {
      userId: 4242,
      username: "grace",
      email: "grace@example.com",
      actor: "signup-form",
      registeredAt: "2026-12-03T10:00:00.000Z",
    };
    const emitted = await app.clients.operator.events.emit.mutate({
      name: "user.registered",
      payload,
      idempotencyKey: "grace",
    });
    expect(emitted.runs.map((run) => run.task).sort()).toEqual(["audit.record", "email.send"]);
    const again = await app.clients.operator.events.emit.mutate({
      name: "user.registered",
      payload,
      idempotencyKey: "grace",
    });
    expect(again).toMatchObject({ id: emitted.id, runs: emitted.runs, isDuplicate: true });

    const email = emitted.runs.find((run) => run.task === "email.send")?.id ?? "";
    const audit = emitted.runs.find((run) => run.task === "audit.record")?.id ?? "";
    expect((await app.client.runs.get.query({ id: email })).input).toMatchObject({
      to: "grace@example.com",
      subject: "Welcome to Conveyor, grace",
    });
    expect((await app.client.runs.get.query({ id: audit })).input).toMatchObject({
      action: "user.registered",
      actor: "signup-form",
      subject: { type: "user", id: "4242" },
      occurredAt: payload.registeredAt,
    });
    const definitions = await app.client.events.definitions.query();
    expect(definitions.find((event) => event.name === "user.registered")?.subscribers).toEqual([
      "audit.record",
      "email.send",
    ]);
  });

  it("starts the flows that declare the event, when their filter accepts the payload", async () => {
    const declined = await app.clients.operator.events.emit.mutate({
      name: "approval.decided",
      payload: { subject: "budget-2027", approved: false, by: "cfo" },
    });
    expect(declined.flows).toEqual([]);
    const approved = await app.clients.operator.events.emit.mutate({
      name: "approval.decided",
      payload: { subject: "budget-2027", approved: true, by: "cfo", note: "as planned" },
    });
    expect(approved.flows).toEqual([{ id: expect.any(String), name: "approval.follow-up" }]);
    const flowId = approved.flows[0]?.id ?? "";
    const flow = await app.client.flows.get.query({ id: flowId });
    expect(flow.kind).toBe("chain");
    const [audit, handOn] = flow.runs;
    expect(audit?.task).toBe("audit.record");
    const done = await waitForRun(database.url, handOn?.id ?? "", isFinished);
    expect(done.status).toBe("succeeded");
    expect((await app.client.runs.get.query({ id: audit?.id ?? "" })).input).toMatchObject({
      action: "approval.granted",
      actor: "cfo",
      subject: { type: "approval", id: "budget-2027" },
      details: { note: "as planned" },
    });
    const definitions = await app.client.events.definitions.query();
    expect(definitions.find((event) => event.name === "approval.decided")?.flows).toEqual(["approval.follow-up"]);
  });
});
