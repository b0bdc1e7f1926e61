import { performance } from "node:perf_hooks";
import { sql } from "drizzle-orm";
import type { Database } from "../server/src/db/client.js";
import { resolvesWithin } from "../server/src/resolvesWithin.js";
import { createApiClient } from "../tests/fixtures/testConveyor.js";

/** How often the newest committed event id is read while the feed is watched. */
const sampleEveryMs = 100;
/** How long the watchers get, after the last run, to receive the last event before they are reported short. */
const catchUpDeadlineMs = 30_000;

async function newestEventId(db: Database): Promise<number> {
  const rows = await db.execute<{ id: string | null }>(sql`select max(id) as id from events`);
  return Number(rows.rows[0]?.id ?? 0);
}

export interface FeedLag {
  subscribers: number;
  /** Every event committed while they watched reached every subscriber, in id order, once. */
  every_event_delivered: boolean;
  events_per_subscriber: number;
  events_per_message: number;
  /** Newest committed id, read every 100 ms, to the moment each subscriber received it: the worst and the 99th percentile, in seconds. */
  lag_max_s: number;
  lag_p99_s: number;
}

/**
 * Unfiltered `events.feed` subscribers over WebSocket while `work` runs: each sample of the newest
 * committed event id is timed until every subscriber has received it, so the lag is "newest
 * committed minus delivered", in seconds.
 */
export async function watchFeedDuring<T>(
  options: { url: string; token: string; db: Database; subscribers: number },
  work: () => Promise<T>,
): Promise<{ result: T; lag: FeedLag }> {
  const start = await newestEventId(options.db);
  const receipts = Array.from({ length: options.subscribers }, () => ({ ids: [] as number[], at: [] as number[] }));
  let outOfOrder = 0;
  let messages = 0;
  let received = 0;
  let started = 0;
  let allStarted = () => {};
  const startedAll = new Promise<void>((resolve) => (allStarted = resolve));
  let onProgress = () => {};
  const subscriptions = receipts.map((receipt) =>
    createApiClient(options.url, options.token, { transport: "websocket" }).events.feed.subscribe(
      { lastEventId: String(start) },
      {
        onStarted: () => {
          started += 1;
          if (started === options.subscribers) allStarted();
        },
        onData: ({ data: events }) => {
          const at = performance.now();
          messages += 1;
          for (const event of events) {
            if (event.id <= (receipt.ids.at(-1) ?? start)) outOfOrder += 1;
            receipt.ids.push(event.id);
            receipt.at.push(at);
          }
          received += events.length;
          onProgress();
        },
      },
    ),
  );
  try {
    await startedAll;
    const samples: { id: number; at: number }[] = [];
    const sampler = setInterval(() => {
      const at = performance.now();
      void newestEventId(options.db).then((id) => samples.push({ id, at }));
    }, sampleEveryMs);
    let result: T;
    try {
      result = await work();
    } finally {
      clearInterval(sampler);
    }
    const last = await newestEventId(options.db);
    const caughtUp = new Promise<void>((resolve) => {
      onProgress = () => {
        if (receipts.every((receipt) => (receipt.ids.at(-1) ?? start) >= last)) resolve();
      };
      onProgress();
    });
    const isCaughtUp = await resolvesWithin(caughtUp, catchUpDeadlineMs);
    const committed = await options.db.execute<{ n: number }>(
      sql`select count(*)::int as n from events where id > ${start} and id <= ${last}`,
    );
    const expected = committed.rows[0]?.n ?? 0;
    const lags: number[] = [];
    for (const sample of samples) {
      for (const receipt of receipts) {
        const index = receipt.ids.findIndex((id) => id >= sample.id);
        const at = index === -1 ? Number.POSITIVE_INFINITY : (receipt.at[index] ?? Number.POSITIVE_INFINITY);
        lags.push(Math.max(0, at - sample.at) / 1_000);
      }
    }
    lags.sort((a, b) => a - b);
    const round = (seconds: number) => Math.round(seconds * 1_000) / 1_000;
    return {
      result,
      lag: {
        subscribers: options.subscribers,
        every_event_delivered:
          isCaughtUp &&
          outOfOrder === 0 &&
          receipts.every((receipt) => receipt.ids.filter((id) => id <= last).length === expected),
        events_per_subscriber: expected,
        events_per_message: Math.round((received / Math.max(1, messages)) * 10) / 10,
        lag_max_s: round(lags.at(-1) ?? 0),
        lag_p99_s: round(lags[Math.floor(lags.length * 0.99)] ?? 0),
      },
    };
  } finally {
    for (const subscription of subscriptions) subscription.unsubscribe();
  }
}
