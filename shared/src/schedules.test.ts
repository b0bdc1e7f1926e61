import { describe, expect, it } from "vitest";
import { createScheduleInputSchema, scheduleTargetSchema } from "./schedules.js";

const pathsOf = (result: { success: boolean; error?: { issues: { path: PropertyKey[] }[] } }) =>
  result.error?.issues.map((issue) => issue.path) ?? [];

describe("scheduleTargetSchema", () => {
  it("rejects a fixed runAt or idempotency key wherever a flow sets options", () => {
    const result = scheduleTargetSchema.safeParse({
      kind: "flow",
      flow: {
        kind: "group",
        members: [{ task: "a.b", input: {}, options: { runAt: new Date() } }],
        callback: { task: "c.d", options: { idempotencyKey: "same every time" } },
      },
    });
    expect(pathsOf(result)).toEqual([
      ["flow", "members", 0, "options", "runAt"],
      ["flow", "callback", "options", "idempotencyKey"],
    ]);
  });

  it("accepts a delay, which repeats well", () => {
    const target = { kind: "task", task: "report.generate", input: { userId: 1 }, options: { delayMs: 5_000 } };
    expect(scheduleTargetSchema.parse(target)).toEqual(target);
  });
});

describe("createScheduleInputSchema", () => {
  it("defaults to UTC, enabled, no backfill", () => {
    const parsed = createScheduleInputSchema.parse({
      name: " nightly ",
      cron: "0 3 * * *",
      target: { kind: "task", task: "a.b", input: {} },
    });
    expect(parsed).toMatchObject({ name: "nightly", timezone: "UTC", enabled: true, backfillWindowMs: 0 });
  });

  it("names the backfill limit", () => {
    const result = createScheduleInputSchema.safeParse({
      name: "n",
      cron: "* * * * *",
      target: { kind: "task", task: "a.b", input: {} },
      backfillWindowMs: 8 * 86_400_000,
    });
    expect(result.error?.issues[0]?.message).toContain("limit backfillWindowMs");
  });
});
