import { describe, expect, it } from "vitest";
import { InputError } from "../errors.js";
import { compileCron, describeCron } from "./cron.js";

function issuesOf(call: () => unknown) {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as InputError).issues;
  }
  throw new Error("expected an InputError");
}

const iso = (dates: Date[]) => dates.map((date) => date.toISOString());

describe("compileCron", () => {
  it("reads the expression in its timezone, across a spring-forward gap", () => {
    const cron = compileCron("30 2 * * *", "Europe/Berlin");
    // 2025-03-30 has no 02:30 in Berlin: a fixed-time job runs when the clock has jumped, at 03:00 CEST.
    expect(iso(cron.nextTimes(new Date("2025-03-28T12:00:00Z"), 4))).toEqual([
      "2025-03-29T01:30:00.000Z",
      "2025-03-30T01:00:00.000Z",
      "2025-03-31T00:30:00.000Z",
      "2025-04-01T00:30:00.000Z",
    ]);
  });

  it("keeps 9:00 local when New York falls back", () => {
    const cron = compileCron("0 9 * * *", "America/New_York");
    expect(iso(cron.nextTimes(new Date("2025-11-01T00:00:00Z"), 3))).toEqual([
      "2025-11-01T13:00:00.000Z",
      "2025-11-02T14:00:00.000Z",
      "2025-11-03T14:00:00.000Z",
    ]);
  });

  it("fires strictly after the instant given", () => {
    const cron = compileCron("*/15 * * * *", "UTC");
    expect(cron.nextAfter(new Date("2025-01-01T00:15:00Z"))?.toISOString()).toBe("2025-01-01T00:30:00.000Z");
    expect(cron.nextAfter(new Date("2025-01-01T00:14:59.999Z"))?.toISOString()).toBe("2025-01-01T00:15:00.000Z");
  });

  it("spells the timezone the way Intl does", () => {
    expect(compileCron("0 0 * * *", "europe/berlin").timezone).toBe("Europe/Berlin");
  });

  it("accepts nicknames", () => {
    expect(compileCron("@daily", "UTC").nextAfter(new Date("2025-01-01T10:00:00Z"))?.toISOString()).toBe(
      "2025-01-02T00:00:00.000Z",
    );
  });

  it("rejects a seconds field, saying why", () => {
    const [issue] = issuesOf(() => compileCron("0 */5 * * * *", "UTC"));
    expect(issue?.path).toEqual(["cron"]);
    expect(issue?.message).toMatch(/6 fields; schedules take 5 .*no seconds field/);
  });

  it("names an out-of-range field in croner's words", () => {
    const [issue] = issuesOf(() => compileCron("61 * * * *", "UTC"));
    expect(issue).toEqual({ path: ["cron"], message: expect.stringContaining("Invalid value for minute: 61") });
  });

  it("rejects an expression no date matches", () => {
    const [issue] = issuesOf(() => compileCron("0 0 30 2 *", "UTC"));
    expect(issue).toEqual({ path: ["cron"], message: expect.stringContaining("never fires") });
  });

  it("names the timezone and the expression together when both are wrong", () => {
    const issues = issuesOf(() => compileCron("not cron", "Mars/Olympus"));
    expect(issues.map((issue) => issue.path)).toEqual([["timezone"], ["cron"]]);
    expect(issues[0]?.message).toContain("Mars/Olympus");
  });
});

describe("describeCron", () => {
  it("says the expression in words with its timezone", () => {
    expect(describeCron("30 2 * * *", "Europe/Berlin")).toBe("At 02:30 (Europe/Berlin)");
    expect(describeCron("*/15 * * * *", "UTC")).toBe("Every 15 minutes (UTC)");
  });

  it("falls back to the expression when cronstrue cannot read it", () => {
    expect(describeCron("what", "UTC")).toBe('Cron "what" (UTC)');
  });
});
