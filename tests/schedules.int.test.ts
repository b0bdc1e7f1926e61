import type { CreateScheduleInput } from "@conveyor/shared";
import { eq, sql } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { schema } from "../server/src/db/client.js";
import { InputError, type InputIssue } from "../server/src/errors.js";
import { getRun } from "../server/src/runs/service.js";
import {
  createSchedule,
  deleteSchedule,
  getSchedule,
  listSchedules,
  pauseSchedule,
  previewSchedule,
  resumeSchedule,
  updateSchedule,
} from "../server/src/schedules/service.js";
import { createScheduleTickTask, fireDueSchedules, fireKey } from "../server/src/schedules/tick.js";
import { startFileConveyor } from "./fixtures/testConveyor.js";

// No worker: nothing ticks on its own, so every fire below happens at the `now` a test passes.
const { app } = await startFileConveyor("schedules", { worker: false });

beforeEach(async () => {
  // Every tick fires every due schedule; each test starts from none, not even the
  // `nightly-report` schedule migration 0008 seeds, whichever test runs first (or alone).
  await app.conveyor.db.delete(schema.schedules);
});

const db = () => app.conveyor.db;
const catalog = () => app.conveyor.services.catalog;
const at = (iso: string) => new Date(iso);
const fire = (now: Date, tickAt?: Date) => fireDueSchedules(db(), catalog(), now, tickAt ? { tickAt } : {});

function create(input: Partial<CreateScheduleInput> & Pick<CreateScheduleInput, "cron">, now: Date) {
  return createSchedule(
    db(),
    catalog(),
    {
      name: `schedule ${Math.random().toString(36).slice(2, 10)}`,
      target: { kind: "task", task: "report.generate", input: { userId: 7 } },
      ...input,
    },
    now,
  );
}

async function runsOf(scheduleId: string) {
  return db()
    .select({ id: schema.runs.id, key: schema.runs.idempotencyKey, scheduleId: schema.runs.scheduleId })
    .from(schema.runs)
    .where(eq(schema.runs.scheduleId, scheduleId))
    .orderBy(schema.runs.id);
}

async function inputIssues(call: Promise<unknown>): Promise<InputIssue[]> {
  const error = await call.then(
    () => {
      throw new Error("expected an InputError");
    },
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(InputError);
  return (error as InputError).issues;
}

describe("preview", () => {
  it("gives the next 5 fire times in the schedule's timezone, across a DST change", () => {
    const preview = previewSchedule({
      cron: "30 2 * * *",
      timezone: "Europe/Berlin",
      after: at("2025-03-28T12:00:00Z"),
    });
    expect(preview.description).toBe("At 02:30 (Europe/Berlin)");
    // 02:30 does not exist on 2025-03-30 in Berlin: that day it fires at 03:00 CEST, then 02:30 CEST.
    expect(preview.next.map((date) => date.toISOString())).toEqual([
      "2025-03-29T01:30:00.000Z",
      "2025-03-30T01:00:00.000Z",
      "2025-03-31T00:30:00.000Z",
      "2025-04-01T00:30:00.000Z",
      "2025-04-02T00:30:00.000Z",
    ]);
  });

  it("keeps local time when New York falls back, and honours count", () => {
    const preview = previewSchedule({
      cron: "0 9 * * MON-FRI",
      timezone: "America/New_York",
      count: 3,
      after: at("2025-10-30T00:00:00Z"),
    });
    expect(preview.next.map((date) => date.toISOString())).toEqual([
      "2025-10-30T13:00:00.000Z",
      "2025-10-31T13:00:00.000Z",
      "2025-11-03T14:00:00.000Z",
    ]);
  });

  it("names the cron field or the timezone when they are invalid", async () => {
    const [cron] = await inputIssues(Promise.resolve().then(() => previewSchedule({ cron: "61 * * * *" })));
    expect(cron).toEqual({ path: ["cron"], message: expect.stringContaining("Invalid value for minute: 61") });
    const [timezone] = await inputIssues(
      Promise.resolve().then(() => previewSchedule({ cron: "* * * * *", timezone: "Europe/Atlantis" })),
    );
    expect(timezone).toEqual({ path: ["timezone"], message: expect.stringContaining("Europe/Atlantis") });
    const [seconds] = await inputIssues(Promise.resolve().then(() => previewSchedule({ cron: "*/10 * * * * *" })));
    expect(seconds?.message).toContain("no seconds field");
    const [count] = await inputIssues(Promise.resolve().then(() => previewSchedule({ cron: "* * * * *", count: 51 })));
    expect(count).toEqual({ path: ["count"], message: expect.stringContaining("limit previewCount") });
  });
});

describe("create and edit", () => {
  it("computes the first fire time after now and describes the expression", async () => {
    const schedule = await create({ cron: "*/15 * * * *", timezone: "europe/berlin" }, at("2030-01-01T00:07:00Z"));
    expect(schedule).toMatchObject({
      timezone: "Europe/Berlin",
      enabled: true,
      backfillWindowMs: 0,
      description: "Every 15 minutes (Europe/Berlin)",
      lastFiredAt: null,
      nextFireAt: at("2030-01-01T00:15:00Z"),
    });
    expect(await getSchedule(db(), schedule.id)).toEqual(schedule);
  });

  it("rejects an unknown task and input the task's schema refuses, naming the field", async () => {
    const now = at("2030-01-01T00:00:00Z");
    const [unknown] = await inputIssues(
      create({ cron: "* * * * *", target: { kind: "task", task: "report.nope", input: {} } }, now),
    );
    expect(unknown).toEqual({
      path: ["target", "task"],
      message: expect.stringContaining('unknown task "report.nope"'),
    });
    const [input] = await inputIssues(
      create({ cron: "* * * * *", target: { kind: "task", task: "report.generate", input: { userId: "seven" } } }, now),
    );
    expect(input?.path).toEqual(["target", "input", "userId"]);
    const both = await inputIssues(
      create({ cron: "bad", timezone: "Nowhere/Else", target: { kind: "task", task: "x.y", input: {} } }, now),
    );
    expect(both.map((issue) => issue.path)).toEqual([["timezone"], ["cron"], ["target", "task"]]);
    expect(await listSchedules(db())).toEqual({ items: [], nextCursor: null });
  });

  it("checks every static input of a flow target, and its shape", async () => {
    const now = at("2030-01-01T00:00:00Z");
    const issues = await inputIssues(
      create(
        {
          cron: "0 * * * *",
          target: {
            kind: "flow",
            flow: {
              kind: "chain",
              steps: [
                { task: "report.generate", input: { userId: 1 } },
                { task: "email.send", input: { to: "not an email", subject: "s", body: "b" } },
                { task: "conveyor.noop" },
              ],
            },
          },
        },
        now,
      ),
    );
    expect(issues.map((issue) => issue.path)).toEqual([["target", "flow", "steps", 1, "input", "to"]]);

    const cycle = await inputIssues(
      create(
        {
          cron: "0 * * * *",
          target: {
            kind: "flow",
            flow: {
              kind: "dag",
              nodes: [
                { name: "a", task: "conveyor.noop", input: {}, dependsOn: ["b"] },
                { name: "b", task: "conveyor.noop", dependsOn: ["a"] },
              ],
            },
          },
        },
        now,
      ),
    );
    expect(cycle).toEqual([{ path: ["target", "flow", "nodes"], message: expect.stringContaining("cycle") }]);
  });

  it("rejects options that cannot repeat: a fixed runAt or idempotency key", async () => {
    const issues = await inputIssues(
      create(
        {
          cron: "* * * * *",
          target: {
            kind: "task",
            task: "report.generate",
            input: { userId: 1 },
            options: { runAt: at("2030-01-01T00:00:00Z"), idempotencyKey: "k" },
          },
        },
        at("2030-01-01T00:00:00Z"),
      ),
    );
    expect(issues.map((issue) => issue.path)).toEqual([
      ["target", "options", "runAt"],
      ["target", "options", "idempotencyKey"],
    ]);
  });

  it("a name already in use is an error on name, for create and for rename", async () => {
    const now = at("2030-01-01T00:00:00Z");
    await create({ name: "nightly", cron: "0 3 * * *" }, now);
    const [taken] = await inputIssues(create({ name: "nightly", cron: "0 4 * * *" }, now));
    expect(taken).toEqual({ path: ["name"], message: 'a schedule named "nightly" already exists' });
    const other = await create({ name: "hourly", cron: "0 * * * *" }, now);
    const [renamed] = await inputIssues(updateSchedule(db(), catalog(), { id: other.id, name: "nightly" }, now));
    expect(renamed?.path).toEqual(["name"]);
    expect((await getSchedule(db(), other.id)).name).toBe("hourly");
  });

  it("lists by name a page at a time, and a missing schedule is not found", async () => {
    const now = at("2030-01-01T00:00:00Z");
    for (const name of ["c", "a", "b"]) await create({ name, cron: "0 0 * * *" }, now);
    const first = await listSchedules(db(), { limit: 2 });
    expect(first.items.map((item) => item.name)).toEqual(["a", "b"]);
    expect(first.nextCursor).toBe("b");
    const second = await listSchedules(db(), { limit: 2, cursor: "b" });
    expect(second).toMatchObject({ items: [{ name: "c" }], nextCursor: null });
    await expect(getSchedule(db(), "0190a0a0-0000-7000-8000-000000000000")).rejects.toThrow(/does not exist/);
  });
});

describe("firing", () => {
  it("fires a due time once, even when the tick runs twice for the same now", async () => {
    const schedule = await create({ cron: "*/5 * * * *" }, at("2030-01-01T00:01:00Z"));
    const now = at("2030-01-01T00:05:02Z");
    const first = await fire(now);
    expect(first.fired).toEqual([
      { scheduleId: schedule.id, fireTime: at("2030-01-01T00:05:00Z"), runId: expect.any(String), flowId: null },
    ]);
    const again = await fire(now);
    expect(again.fired).toEqual([]);
    const runs = await runsOf(schedule.id);
    expect(runs).toHaveLength(1);
    expect(await getSchedule(db(), schedule.id)).toMatchObject({
      lastFiredAt: at("2030-01-01T00:05:00Z"),
      nextFireAt: at("2030-01-01T00:10:00Z"),
    });
  });

  it("concurrent ticks fire each schedule's time exactly once between them", async () => {
    const created = [];
    for (let index = 0; index < 12; index += 1) {
      created.push(await create({ cron: "0 * * * *" }, at("2030-01-01T00:30:00Z")));
    }
    const now = at("2030-01-01T01:00:05Z");
    const [a, b] = await Promise.all([fire(now), fire(now)]);
    const fired = [...(a?.fired ?? []), ...(b?.fired ?? [])];
    expect(fired.map((item) => item.scheduleId).sort()).toEqual(created.map((schedule) => schedule.id).sort());
    for (const schedule of created) expect(await runsOf(schedule.id)).toHaveLength(1);
  });

  it("a tick passes over a schedule another tick holds, without waiting for it", async () => {
    const schedule = await create({ cron: "*/5 * * * *" }, at("2030-01-01T00:00:00Z"));
    const now = at("2030-01-01T00:05:01Z");
    const other = await app.conveyor.pool.connect();
    try {
      await other.query("begin");
      await other.query("select 1 from schedules where id = $1 for update", [schedule.id]);
      expect((await fire(now)).fired).toEqual([]);
      await other.query("rollback");
    } finally {
      other.release();
    }
    expect((await fire(now)).fired).toHaveLength(1);
  });

  it("the runs carry the schedule's id, its input and a key per fire time", async () => {
    const schedule = await create({ cron: "0 12 * * *", timezone: "America/New_York" }, at("2030-01-01T00:00:00Z"));
    const { fired } = await fire(at("2030-01-01T17:00:30Z"));
    const [item] = fired;
    expect(item?.fireTime).toEqual(at("2030-01-01T17:00:00Z"));
    const run = await getRun(db(), item?.runId ?? "");
    expect(run).toMatchObject({
      task: "report.generate",
      scheduleId: schedule.id,
      input: { userId: 7, failureRate: 0.2 },
      idempotencyKey: `schedule:${schedule.id}:2030-01-01T17:00:00.000Z`,
      status: "queued",
    });
  });

  it("should a fire time come round again, its key returns the run it already made", async () => {
    const schedule = await create({ cron: "* * * * *" }, at("2030-01-01T00:00:00Z"));
    const now = at("2030-01-01T00:01:10Z");
    const [first] = (await fire(now)).fired;
    // Only a broken lock could do this; the key is the second line of defence.
    await db()
      .update(schema.schedules)
      .set({ nextFireAt: at("2030-01-01T00:01:00Z") })
      .where(eq(schema.schedules.id, schedule.id));
    const [second] = (await fire(now)).fired;
    expect(second?.runId).toBe(first?.runId);
    expect(await runsOf(schedule.id)).toEqual([
      { id: first?.runId, key: fireKey(schedule.id, at("2030-01-01T00:01:00Z")), scheduleId: schedule.id },
    ]);
  });

  it("a paused schedule does not fire; resuming fires from now on, with no burst of missed times", async () => {
    const schedule = await create({ cron: "*/10 * * * *", backfillWindowMs: 3_600_000 }, at("2030-01-01T00:00:00Z"));
    const paused = await pauseSchedule(db(), catalog(), schedule.id, at("2030-01-01T00:05:00Z"));
    expect(paused).toMatchObject({ enabled: false, nextFireAt: null });
    expect((await fire(at("2030-01-01T00:30:00Z"))).fired).toEqual([]);

    const resumed = await resumeSchedule(db(), catalog(), schedule.id, at("2030-01-01T00:45:00Z"));
    expect(resumed).toMatchObject({ enabled: true, nextFireAt: at("2030-01-01T00:50:00Z") });
    expect((await fire(at("2030-01-01T00:45:30Z"))).fired).toEqual([]);
    const { fired } = await fire(at("2030-01-01T00:50:01Z"));
    expect(fired.map((item) => item.fireTime)).toEqual([at("2030-01-01T00:50:00Z")]);
    expect(await runsOf(schedule.id)).toHaveLength(1);
  });

  it("after 3 hours down, no backfill enqueues only the current time", async () => {
    const schedule = await create({ cron: "*/15 * * * *" }, at("2030-01-01T00:00:00Z"));
    const { fired } = await fire(at("2030-01-01T03:00:20Z"));
    expect(fired.map((item) => item.fireTime)).toEqual([at("2030-01-01T03:00:00Z")]);
    expect(await runsOf(schedule.id)).toHaveLength(1);
    expect((await getSchedule(db(), schedule.id)).nextFireAt).toEqual(at("2030-01-01T03:15:00Z"));
  });

  it("after 3 hours down, a 1-hour window enqueues the last hour's four quarter-hours", async () => {
    const schedule = await create({ cron: "*/15 * * * *", backfillWindowMs: 3_600_000 }, at("2030-01-01T00:00:00Z"));
    const { fired } = await fire(at("2030-01-01T03:00:20Z"));
    // 02:00 is more than an hour old by then; 02:15 is the oldest time still inside the window.
    expect(fired.map((item) => item.fireTime.toISOString())).toEqual([
      "2030-01-01T02:15:00.000Z",
      "2030-01-01T02:30:00.000Z",
      "2030-01-01T02:45:00.000Z",
      "2030-01-01T03:00:00.000Z",
    ]);
    expect(await runsOf(schedule.id)).toHaveLength(4);
  });

  it("a long backlog is enqueued 1,000 fire times per tick until it is cleared", async () => {
    const schedule = await create(
      { cron: "* * * * *", backfillWindowMs: 86_400_000, target: { kind: "task", task: "conveyor.noop", input: {} } },
      at("2030-01-01T00:00:00Z"),
    );
    const now = at("2030-01-03T00:00:10Z");
    expect((await fire(now)).fired).toHaveLength(1_000);
    expect((await fire(now)).fired).toHaveLength(440);
    expect((await fire(now)).fired).toHaveLength(0);
    expect(await runsOf(schedule.id)).toHaveLength(1_440);
  });

  it("a tick that ran late still fires the time due at its own minute", async () => {
    const schedule = await create({ cron: "0 * * * *" }, at("2030-01-01T00:30:00Z"));
    const { fired } = await fire(at("2030-01-01T01:03:00Z"), at("2030-01-01T01:00:00Z"));
    expect(fired.map((item) => item.fireTime)).toEqual([at("2030-01-01T01:00:00Z")]);
    expect(await runsOf(schedule.id)).toHaveLength(1);
  });

  it("a new expression takes effect at the next tick, without a restart", async () => {
    const schedule = await create({ cron: "0 * * * *" }, at("2030-01-01T00:00:10Z"));
    expect(schedule.nextFireAt).toEqual(at("2030-01-01T01:00:00Z"));
    const updated = await updateSchedule(
      db(),
      catalog(),
      { id: schedule.id, cron: "*/5 * * * *" },
      at("2030-01-01T00:01:00Z"),
    );
    expect(updated).toMatchObject({ cron: "*/5 * * * *", nextFireAt: at("2030-01-01T00:05:00Z") });
    const { fired } = await fire(at("2030-01-01T00:05:01Z"));
    expect(fired.map((item) => item.fireTime)).toEqual([at("2030-01-01T00:05:00Z")]);
  });

  it("editing only the target keeps the next fire time; the next fire uses the new input", async () => {
    const schedule = await create({ cron: "0 * * * *" }, at("2030-01-01T00:00:10Z"));
    const updated = await updateSchedule(
      db(),
      catalog(),
      { id: schedule.id, target: { kind: "task", task: "report.generate", input: { userId: 99 } } },
      at("2030-01-01T00:30:00Z"),
    );
    expect(updated.nextFireAt).toEqual(at("2030-01-01T01:00:00Z"));
    const [item] = (await fire(at("2030-01-01T01:00:01Z"))).fired;
    expect((await getRun(db(), item?.runId ?? "")).input).toMatchObject({ userId: 99 });
  });

  it("a deleted schedule never fires", async () => {
    const schedule = await create({ cron: "* * * * *" }, at("2030-01-01T00:00:00Z"));
    await deleteSchedule(db(), schedule.id);
    expect((await fire(at("2030-01-01T00:01:01Z"))).fired).toEqual([]);
    expect(await runsOf(schedule.id)).toEqual([]);
    await expect(deleteSchedule(db(), schedule.id)).rejects.toThrow(/does not exist/);
  });

  it("a schedule created disabled has no next fire time and never fires", async () => {
    const schedule = await create({ cron: "* * * * *", enabled: false }, at("2030-01-01T00:00:00Z"));
    expect(schedule.nextFireAt).toBeNull();
    expect((await fire(at("2030-01-01T00:10:00Z"))).fired).toEqual([]);
  });

  it("a target that stopped passing its task's schema is skipped and logged, and the schedule moves on", async () => {
    const schedule = await create({ cron: "*/5 * * * *" }, at("2030-01-01T00:00:00Z"));
    // As if the task's schema had tightened since the schedule was saved.
    await db()
      .update(schema.schedules)
      .set({ target: { kind: "task", task: "report.generate", input: { userId: -1 } } })
      .where(eq(schema.schedules.id, schedule.id));
    const { fired, failed } = await fire(at("2030-01-01T00:05:01Z"));
    expect(fired).toEqual([]);
    expect(failed).toEqual([{ scheduleId: schedule.id, error: expect.any(InputError), isSkipped: true }]);
    expect(await getSchedule(db(), schedule.id)).toMatchObject({
      nextFireAt: at("2030-01-01T00:10:00Z"),
      lastFiredAt: null,
    });
    expect(await runsOf(schedule.id)).toEqual([]);
  });

  it("a flow target enqueues one flow per fire time, carrying the schedule's id", async () => {
    const schedule = await create(
      {
        cron: "0 6 * * *",
        target: {
          kind: "flow",
          flow: { kind: "chain", steps: [{ task: "conveyor.noop", input: { a: 1 } }, { task: "conveyor.noop" }] },
        },
      },
      at("2030-01-01T00:00:00Z"),
    );
    const { fired } = await fire(at("2030-01-01T06:00:01Z"));
    expect(fired).toEqual([
      { scheduleId: schedule.id, fireTime: at("2030-01-01T06:00:00Z"), runId: null, flowId: expect.any(String) },
    ]);
    const flows = await db().execute<{ schedule_id: string }>(
      sql`select schedule_id from flows where id = ${fired[0]?.flowId ?? null}`,
    );
    expect(flows.rows).toEqual([{ schedule_id: schedule.id }]);
    expect(await runsOf(schedule.id)).toHaveLength(2);
  });
});

describe("the worker's tick task", () => {
  it("fires by the real clock, measuring the window from the minute graphile-worker stamped", async () => {
    const realNow = new Date();
    const minute = new Date(realNow.getTime() - (realNow.getTime() % 60_000));
    // Created two minutes ago, so its stored next fire time is a minute old by now.
    const schedule = await create({ cron: "* * * * *" }, new Date(minute.getTime() - 120_000));
    const tick = createScheduleTickTask({ db: db(), catalog: catalog(), logger: app.conveyor.services.logger });
    await tick({ _cron: { ts: minute.toISOString(), backfilled: false } });
    const keys = (await runsOf(schedule.id)).map((run) => run.key);
    // The minute before is skipped (no window); the tick's own minute fires, and the next one
    // too only if the clock crossed into it meanwhile.
    expect(keys).toContain(fireKey(schedule.id, minute));
    expect(keys).not.toContain(fireKey(schedule.id, new Date(minute.getTime() - 60_000)));
  });
});
