import { describe, expect, it } from "vitest";
import type { Claim, ClaimedRun } from "../runs/sql/claimRuns.js";
import type { CompletedRun, Completion } from "../runs/sql/recordOutcomes.js";
import { AttemptBatcher, type ClaimResult } from "./attemptBatcher.js";

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
const outcome = (runId: string): Omit<Completion, "claims"> => ({
  runId,
  flowId: null,
  attempt: 1,
  outcome: { kind: "succeeded", output: null },
  progress: null,
  startedAt: new Date(),
  job: null,
});
/** A claim made before the attempt starts. */
const first = (runId: string): Claim => ({ runId, attempt: null });

/** The id of what a claim or completion answered, if it answered a run. */
const idOf = (result: CompletedRun | ClaimResult) =>
  result === null || typeof result === "string" ? result : result.id;

/** A batcher over a recorder that claims and completes whatever it is given, keeping each call. */
function recordingBatcher() {
  const calls: { completions: string[]; claims: string[]; withClaim: string[] }[] = [];
  const batcher = new AttemptBatcher(async (completions, claims) => {
    calls.push({
      completions: completions.map((c) => c.runId),
      claims: claims.map((c) => c.runId),
      withClaim: completions.filter((c) => c.claims).map((c) => c.runId),
    });
    return {
      completed: completions.map((c) => completed(c.runId)),
      claimed: claims.map((c) => claimed(c.runId)),
      held: [],
    };
  });
  return { batcher, calls };
}

describe("AttemptBatcher", () => {
  it("sends the claims and outcomes of one turn of the event loop in one call", async () => {
    const { batcher, calls } = recordingBatcher();
    const results = await Promise.all([
      batcher.complete(outcome("a")),
      batcher.claim(first("b")),
      batcher.claim(first("c")),
    ]);
    expect(calls).toEqual([{ completions: ["a"], claims: ["b", "c"], withClaim: [] }]);
    expect(results.map(idOf)).toEqual(["a", "b", "c"]);
  });

  it("claims a run once per batch, and a run being completed only in the next batch", async () => {
    const { batcher, calls } = recordingBatcher();
    const [done, twice, again, claimAfterOutcome] = await Promise.all([
      batcher.complete(outcome("a")),
      batcher.claim(first("b")),
      batcher.claim(first("b")),
      batcher.claim(first("a")),
    ]);
    expect(done?.id).toBe("a");
    expect(idOf(twice)).toBe("b");
    expect(again).toBeNull();
    expect(idOf(claimAfterOutcome)).toBe("a");
    expect(calls).toEqual([
      { completions: ["a"], claims: ["b"], withClaim: [] },
      { completions: [], claims: ["a"], withClaim: [] },
    ]);
  });

  it("sends an outcome ready before its claim went out with the claim, as one update", async () => {
    const { batcher, calls } = recordingBatcher();
    const claim = batcher.claim({ runId: "a", attempt: 1 });
    expect(batcher.isClaimPending("a")).toBe(true);
    const recorded = batcher.complete(outcome("a"));
    expect(batcher.isClaimPending("a")).toBe(false);
    expect([await claim, idOf(await recorded)]).toEqual(["withOutcome", "a"]);
    expect(calls).toEqual([{ completions: ["a"], claims: [], withClaim: ["a"] }]);
  });

  it("refuses the claim that travelled with a refused outcome", async () => {
    const refusing = new AttemptBatcher(async () => ({ completed: [], claimed: [], held: [] }));
    const claim = refusing.claim({ runId: "a", attempt: 1 });
    expect(await refusing.complete(outcome("a"))).toBeNull();
    expect(await claim).toBeNull();
  });

  it("answers null for what the statement refused, paused for what a pause held, and rejects the whole batch when it fails", async () => {
    const refusing = new AttemptBatcher(async () => ({ completed: [], claimed: [], held: ["p"] }));
    expect(await refusing.claim(first("x"))).toBeNull();
    expect(await refusing.claim(first("p"))).toBe("paused");
    expect(await refusing.complete(outcome("y"))).toBeNull();
    const failing = new AttemptBatcher(async () => {
      throw new Error("connection lost");
    });
    await expect(Promise.all([failing.claim(first("x")), failing.complete(outcome("y"))])).rejects.toThrow(
      "connection lost",
    );
  });
});
