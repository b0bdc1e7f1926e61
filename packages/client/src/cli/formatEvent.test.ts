import type { LiveEvent } from "@conveyor/shared";
import { describe, expect, it } from "vitest";
import { eventDetail, formatEventLine } from "./formatEvent.js";

const base = {
  id: 42,
  runId: "01900000-0000-7000-8000-000000000001",
  flowId: null,
  createdAt: new Date("2030-01-02T03:04:05.678Z"),
  task: "report.generate",
  queue: null,
} satisfies Omit<LiveEvent, "type" | "payload">;

const event = (type: LiveEvent["type"], payload: Record<string, unknown>): LiveEvent => ({ ...base, type, payload });

describe("formatEventLine", () => {
  it("prints time, event id, type, task, run id and what the event says", () => {
    expect(formatEventLine(event("run.progress", { attempt: 1, current: 3, total: 5, message: "Step 3/5" }))).toBe(
      "2030-01-02T03:04:05.678Z  42  run.progress   report.generate  01900000-0000-7000-8000-000000000001  3/5 Step 3/5",
    );
  });

  it("describes failures with the error's name and message, and unknown totals without a slash", () => {
    const error = { name: "NonRetryableError", message: "no such account", attempt: 2 };
    expect(eventDetail(event("run.failed", { attempt: 2, error }))).toBe(
      "attempt 2: NonRetryableError: no such account",
    );
    expect(eventDetail(event("run.progress", { current: 7 }))).toBe("7");
    expect(eventDetail(event("run.cancelled", { reason: "cancelled by request" }))).toBe("cancelled by request");
    expect(eventDetail(event("run.log", { level: "info", message: "report generated" }))).toBe(
      "[info] report generated",
    );
  });
});
