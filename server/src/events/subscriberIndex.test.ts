import type { LiveEvent } from "@conveyor/shared";
import { describe, expect, it } from "vitest";
import { SubscriberIndex } from "./subscriberIndex.js";

const runA = "01900000-0000-7000-8000-00000000000a";
const runB = "01900000-0000-7000-8000-00000000000b";
const flow = "01900000-0000-7000-8000-0000000000f1";

function event(id: number, fields: Partial<LiveEvent>): LiveEvent {
  return {
    id,
    runId: null,
    flowId: null,
    type: "run.queued",
    payload: {},
    createdAt: new Date(0),
    task: "t",
    queue: null,
    ...fields,
  };
}

describe("SubscriberIndex", () => {
  it("routes each event to its run's, its flow's and each matching feed's subscribers, one array per filter", () => {
    const index = new SubscriberIndex<string>();
    index.add({ kind: "run", runId: runA }, "watch A 1");
    index.add({ kind: "run", runId: runA }, "watch A 2");
    index.add({ kind: "run", runId: runB }, "watch B");
    index.add({ kind: "flow", flowId: flow }, "flow");
    index.add({ kind: "feed", task: null, queue: null, types: null }, "everything");
    index.add({ kind: "feed", task: "t", queue: null, types: ["run.failed"] }, "failures of t");
    const events = [
      event(1, { runId: runA, flowId: flow }),
      event(2, { runId: runA, type: "run.failed" }),
      event(3, { runId: "01900000-0000-7000-8000-0000000000cc", task: "other", type: "run.failed" }),
    ];
    const routed = new Map(
      [...index.route(events)].map(([group, batch]) => [[...group.subscribers].join(" + "), batch.map((e) => e.id)]),
    );
    expect(routed).toEqual(
      new Map([
        ["watch A 1 + watch A 2", [1, 2]],
        ["flow", [1]],
        ["everything", [1, 2, 3]],
        ["failures of t", [2]],
      ]),
    );
  });

  it("forgets a filter with its last subscriber, and counts subscribers across filters", () => {
    const index = new SubscriberIndex<string>();
    const first = index.add({ kind: "run", runId: runA }, "one");
    const second = index.add({ kind: "run", runId: runA }, "two");
    expect(index.size).toBe(2);
    first();
    first();
    expect(index.size).toBe(1);
    second();
    expect(index.size).toBe(0);
    expect(index.route([event(1, { runId: runA })]).size).toBe(0);
  });
});
