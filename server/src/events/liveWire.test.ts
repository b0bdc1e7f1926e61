import type { LiveEvent } from "@conveyor/shared";
import superjson from "superjson";
import { afterEach, describe, expect, it, vi } from "vitest";
import { liveSocketEncoder, shareBatch, slicesOf, wireTransformer } from "./liveWire.js";

const batch = (ids: number[]): LiveEvent[] =>
  ids.map((id) => ({
    id,
    runId: null,
    flowId: null,
    type: "run.log",
    payload: { message: `line "${id}"` },
    createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, id)),
    task: "t",
    queue: null,
  }));

/** A subscription's data message as tRPC's socket handler builds it, and as its client reads it. */
function roundTrip(rpcId: number, data: LiveEvent[]) {
  const trackedId = String(data.at(-1)?.id);
  const message = {
    id: rpcId,
    result: { type: "data", id: trackedId, data: wireTransformer.output.serialize({ id: trackedId, data }) },
  };
  const text = liveSocketEncoder.encode(message);
  const parsed = JSON.parse(String(text)) as { id: number; result: { id: string; data: unknown } };
  return { parsed, value: superjson.deserialize(parsed.result.data as never) };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the live wire format", () => {
  it("serializes a shared batch once for every socket subscriber, each message as the plain encoding reads", () => {
    const events = batch([1, 2, 3]);
    shareBatch(events);
    const serialize = vi.spyOn(superjson, "serialize");
    const first = roundTrip(7, events);
    const second = roundTrip(8, events);
    expect(serialize).toHaveBeenCalledTimes(1);
    for (const [rpcId, { parsed, value }] of [
      [7, first],
      [8, second],
    ] as const) {
      expect(parsed.id).toBe(rpcId);
      expect(parsed.result.id).toBe("3");
      expect(value).toEqual({ id: "3", data: events });
    }
    // The same message as an unshared batch gives.
    expect(roundTrip(7, batch([1, 2, 3])).parsed).toEqual(first.parsed);
  });

  it("cuts a shared batch into messages once, the slices shared in turn", () => {
    const events = batch([1, 2, 3, 4, 5]);
    shareBatch(events);
    const slices = slicesOf(events, 2);
    expect(slices.map((slice) => slice.map((event) => event.id))).toEqual([[1, 2], [3, 4], [5]]);
    expect(slicesOf(events, 2)).toBe(slices);
    const serialize = vi.spyOn(superjson, "serialize");
    wireTransformer.output.serialize(slices[0]);
    wireTransformer.output.serialize(slices[0]);
    expect(serialize).toHaveBeenCalledTimes(1);
    expect(slicesOf(events, 10)).toEqual([events]);
  });
});
