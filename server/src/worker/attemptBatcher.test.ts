import { describe, expect, it } from "vitest";
import type { ClaimedRun } from "../runs/sql/claimRuns.js";
import type { CompletedRun, Completion } from "../runs/sql/recordOutcomes.js";
import { AttemptBatcher } from "./attemptBatcher.js";

const claimed = (id: string): ClaimedRun => ({
  id,
  task: "t",
  input: {},
  attempt: 1,
  maxAttempts: 1,
  timeoutMs: 1_000,
  waitMs: 0,
  traceContext: null,
  flowId: null,
});
const completed = (id: string): CompletedRun => ({
  id,
  flowId: null,
  task: "t",
  status: "succeeded",
  queue: null,
  priority: 0,
  nextAttemptAt: null,
});
const outcome = (runId: string): Completion => ({
  runId,
  flowId: null,
  attempt: 1,
  outcome: { kind: "succeeded", output: null },
  progress: null,
});

/** The id of what a claim or completion answered, if it answered a run. */
const idOf = (result: { id: string } | "paused" | null) =>
  result === null || result === "paused" ? result : result.id;

/** A batcher over a recorder that claims and completes whatever it is given, keeping each call. */
function recordingBatcher() {
  const calls: { completions: string[]; claims: string[] }[] = [];
  const batcher = new AttemptBatcher(async (completions, claimRunIds) => {
    calls.push({ completions: completions.map((c) => c.runId), claims: [...claimRunIds] });
    return { completed: completions.map((c) => completed(c.runId)), claimed: claimRunIds.map(claimed), held: [] };
  });
  return { batcher, calls };
}

describe("AttemptBatcher", () => {
  it("sends the claims and outcomes of one turn of the event loop in one call", async () => {
    const { batcher, calls } = recordingBatcher();
    const results = await Promise.all([batcher.complete(outcome("a")), batcher.claim("b"), batcher.claim("c")]);
    expect(calls).toEqual([{ completions: ["a"], claims: ["b", "c"] }]);
    expect(results.map(idOf)).toEqual(["a", "b", "c"]);
  });

  it("claims a run once per batch, and a run being completed only in the next batch", async () => {
    const { batcher, calls } = recordingBatcher();
    const [done, twice, again, claimAfterOutcome] = await Promise.all([
      batcher.complete(outcome("a")),
      batcher.claim("b"),
      batcher.claim("b"),
      batcher.claim("a"),
    ]);
    expect(done?.id).toBe("a");
    expect(idOf(twice)).toBe("b");
    expect(again).toBeNull();
    expect(idOf(claimAfterOutcome)).toBe("a");
    expect(calls).toEqual([
      { completions: ["a"], claims: ["b"] },
      { completions: [], claims: ["a"] },
    ]);
  });

  it("answers null for what the statement refused, paused for what a pause held, and rejects the whole batch when it fails", async () => {
    const refusing = new AttemptBatcher(async () => ({ completed: [], claimed: [], held: ["p"] }));
    expect(await refusing.claim("x")).toBeNull();
    expect(await refusing.claim("p")).toBe("paused");
    expect(await refusing.complete(outcome("y"))).toBeNull();
    const failing = new AttemptBatcher(async () => {
      throw new Error("connection lost");
    });
    await expect(Promise.all([failing.claim("x"), failing.complete(outcome("y"))])).rejects.toThrow("connection lost");
  });
});
