import { describe, expect, it } from "vitest";
import { EventChannel, SubscriberTooSlowError } from "./eventChannel.js";

async function take<T>(iterator: AsyncGenerator<T>, count: number): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterator) {
    items.push(item);
    if (items.length === count) break;
  }
  return items;
}

describe("EventChannel", () => {
  it("hands items over in order, waiting for those not yet pushed", async () => {
    const channel = new EventChannel<number>({ capacity: 100 });
    channel.push(1);
    const taken = take(channel.drain(), 3);
    channel.push(2);
    channel.push(3);
    expect(await taken).toEqual([1, 2, 3]);
  });

  it("ends after the buffered items when closed, and when its signal aborts", async () => {
    const channel = new EventChannel<number>({ capacity: 100 });
    channel.push(1);
    channel.close();
    expect(await take(channel.drain(), 10)).toEqual([1]);
    const aborted = new EventChannel<number>({ capacity: 100 });
    const controller = new AbortController();
    const pending = take(aborted.drain(controller.signal), 10);
    controller.abort();
    expect(await pending).toEqual([]);
  });

  it("cuts off a subscriber that falls too far behind, so the hub never buffers without bound", async () => {
    const overflows: SubscriberTooSlowError[] = [];
    const channel = new EventChannel<number>({ capacity: 100, onOverflow: (error) => overflows.push(error) });
    for (let n = 0; n <= 100; n += 1) channel.push(n);
    await expect(take(channel.drain(), 1)).rejects.toBeInstanceOf(SubscriberTooSlowError);
    expect(overflows).toHaveLength(1);
    expect(channel.buffered).toBe(0);
  });

  it("counts a batch by its size, and frees the space of what was pulled", async () => {
    const channel = new EventChannel<number[]>({ capacity: 5, sizeOf: (batch) => batch.length });
    channel.push([1, 2, 3]);
    expect(channel.buffered).toBe(3);
    expect(await take(channel.drain(), 1)).toEqual([[1, 2, 3]]);
    channel.push([4, 5, 6, 7, 8]);
    expect(channel.buffered).toBe(5);
    channel.push([9]);
    await expect(take(channel.drain(), 1)).rejects.toBeInstanceOf(SubscriberTooSlowError);
  });
});
