import { describe, expect, it } from "vitest";
import { EventChannel, maxBufferedEvents, SubscriberTooSlowError } from "./eventChannel.js";

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
    const channel = new EventChannel<number>();
    channel.push(1);
    const taken = take(channel.drain(), 3);
    channel.push(2);
    channel.push(3);
    expect(await taken).toEqual([1, 2, 3]);
  });

  it("ends after the buffered items when closed, and when its signal aborts", async () => {
    const channel = new EventChannel<number>();
    channel.push(1);
    channel.close();
    expect(await take(channel.drain(), 10)).toEqual([1]);
    const aborted = new EventChannel<number>();
    const controller = new AbortController();
    const pending = take(aborted.drain(controller.signal), 10);
    controller.abort();
    expect(await pending).toEqual([]);
  });

  it("cuts off a subscriber that falls too far behind, so the hub never buffers without bound", async () => {
    const channel = new EventChannel<number>();
    for (let n = 0; n <= maxBufferedEvents; n += 1) channel.push(n);
    await expect(take(channel.drain(), 1)).rejects.toBeInstanceOf(SubscriberTooSlowError);
  });
});
