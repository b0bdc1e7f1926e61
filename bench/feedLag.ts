import { performance } from "node:perf_hooks";
import { Worker } from "node:worker_threads";
import { sql } from "drizzle-orm";
import type { Database } from "../server/src/db/client.js";
import { resolvesWithin } from "../server/src/resolvesWithin.js";
import type { WatcherReport, WatchersInput } from "./feedWatchers.js";

/** How often the newest committed event id is read while the feed is watched. */
const sampleEveryMs = 100;
/** How long the watchers get, after the last run, to receive the last event before they are reported short. */
const catchUpDeadlineMs = 30_000;

const now = () => performance.timeOrigin + performance.now();

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
 * Unfiltered `events.feed` subscribers over WebSocket (on a thread of their own, as a dashboard is
 * in another process) while `work` runs: each sample of the newest committed event id is timed
 * until every subscriber has received it, so the lag is "newest committed minus delivered", in
 * seconds.
 */
export async function watchFeedDuring<T>(
  options: { url: string; token: string; db: Database; subscribers: number },
  work: () => Promise<T>,
): Promise<{ result: T; lag: FeedLag }> {
  const start = await newestEventId(options.db);
  const receipts = Array.from({ length: options.subscribers }, () => ({ newest: [] as number[], at: [] as number[] }));
  const counts = new Array<number>(options.subscribers).fill(0);
  let onReport = (_report: WatcherReport) => {};
  const input: WatchersInput = {
    url: options.url,
    token: options.token,
    subscribers: options.subscribers,
    after: String(start),
  };
  // The thread loads the TypeScript sources as this process does: tsx's hooks are registered
  // before its entry, which on Node 20 a TypeScript entry file would not wait for.
  const entry = new URL("./feedWatchers.ts", import.meta.url).href;
  const watchers = new Worker(
    `import("tsx/esm/api").then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`,
    { eval: true, workerData: input },
  );
  // A thread that fails fails the bench, rather than leaving it waiting for reports.
  const failed = new Promise<never>((_, reject) => {
    watchers.once("error", reject);
    watchers.once("exit", (code) => reject(new Error(`the feed watchers' thread exited (${code})`)));
  });
  failed.catch(() => {});
  const stopped = new Promise<Extract<WatcherReport, { kind: "stopped" }>>((resolve) => {
    watchers.on("message", (report: WatcherReport) => {
      if (report.kind === "received") {
        receipts[report.subscriber]?.newest.push(report.newestId);
        receipts[report.subscriber]?.at.push(report.at);
        counts[report.subscriber] = (counts[report.subscriber] ?? 0) + report.events;
      }
      if (report.kind === "stopped") resolve(report);
      onReport(report);
    });
  });
  try {
    await Promise.race([
      failed,
      new Promise<void>((resolve) => {
        onReport = (report) => report.kind === "started" && resolve();
      }),
    ]);
    const samples: { id: number; at: number }[] = [];
    const sampler = setInterval(() => {
      const at = now();
      void newestEventId(options.db).then((id) => samples.push({ id, at }));
    }, sampleEveryMs);
    let result: T;
    try {
      result = await work();
    } finally {
      clearInterval(sampler);
    }
    const last = await newestEventId(options.db);
    const isAllCaughtUp = () => receipts.every((receipt) => (receipt.newest.at(-1) ?? start) >= last);
    const caughtUp = new Promise<void>((resolve) => {
      onReport = () => isAllCaughtUp() && resolve();
      if (isAllCaughtUp()) resolve();
    });
    const isCaughtUp = await resolvesWithin(caughtUp, catchUpDeadlineMs);
    watchers.postMessage("stop");
    const { outOfOrder, messages } = await Promise.race([failed, stopped]);
    const committed = await options.db.execute<{ n: number }>(
      sql`select count(*)::int as n from events where id > ${start} and id <= ${last}`,
    );
    const expected = committed.rows[0]?.n ?? 0;
    const lags: number[] = [];
    for (const sample of samples) {
      for (const receipt of receipts) {
        const index = receipt.newest.findIndex((id) => id >= sample.id);
        const at = index === -1 ? Number.POSITIVE_INFINITY : (receipt.at[index] ?? Number.POSITIVE_INFINITY);
        lags.push(Math.max(0, at - sample.at) / 1_000);
      }
    }
    lags.sort((a, b) => a - b);
    const round = (seconds: number) => Math.round(seconds * 1_000) / 1_000;
    const received = counts.reduce((sum, count) => sum + count, 0);
    return {
      result,
      lag: {
        subscribers: options.subscribers,
        // Caught up with the last id, in order, and exactly as many events as were committed.
        every_event_delivered: isCaughtUp && outOfOrder === 0 && counts.every((count) => count === expected),
        events_per_subscriber: expected,
        events_per_message: Math.round((received / Math.max(1, messages)) * 10) / 10,
        lag_max_s: round(lags.at(-1) ?? 0),
        lag_p99_s: round(lags[Math.floor(lags.length * 0.99)] ?? 0),
      },
    };
  } finally {
    await watchers.terminate();
  }
}
