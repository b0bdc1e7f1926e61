import { parentPort, workerData } from "node:worker_threads";
import { createClient } from "../packages/client/src/createClient.js";

/*
 * Unfiltered `events.feed` subscribers over WebSocket, on a thread of their own so that decoding
 * what they receive does not share the event loop of the server they watch. Each message is
 * reported to the parent as (subscriber, newest id, when).
 */

export interface WatchersInput {
  url: string;
  token: string;
  subscribers: number;
  /** Resume after this event id. */
  after: string;
}

/** What the thread tells its parent. */
export type WatcherReport =
  | { kind: "started" }
  | { kind: "received"; subscriber: number; newestId: number; events: number; at: number }
  | { kind: "stopped"; outOfOrder: number; messages: number };

const input = workerData as WatchersInput;
const port = parentPort;
if (!port) throw new Error("feedWatchers runs as a worker thread");
const report = (message: WatcherReport) => port.postMessage(message);

let started = 0;
let outOfOrder = 0;
let messages = 0;
const subscriptions = Array.from({ length: input.subscribers }, (_, subscriber) => {
  let newestId = Number(input.after);
  return createClient({ url: input.url, token: input.token, transport: "websocket" }).events.feed.subscribe(
    { lastEventId: input.after },
    {
      onStarted: () => {
        started += 1;
        if (started === input.subscribers) report({ kind: "started" });
      },
      onData: ({ data: events }) => {
        const at = performance.timeOrigin + performance.now();
        messages += 1;
        for (const event of events) {
          if (event.id <= newestId) outOfOrder += 1;
          newestId = event.id;
        }
        report({ kind: "received", subscriber, newestId, events: events.length, at });
      },
    },
  );
});

port.on("message", () => {
  for (const subscription of subscriptions) subscription.unsubscribe();
  report({ kind: "stopped", outOfOrder, messages });
  port.close();
});
