import { performance } from "node:perf_hooks";
import { type LiveEvent, limits } from "@conveyor/shared";
import { createToken } from "../server/src/auth/tokens.js";
import { resolvesWithin } from "../server/src/resolvesWithin.js";
import { type ApiClient, createApiClient } from "../tests/fixtures/testConveyor.js";
import { withBenchConveyor } from "./benchConveyor.js";
import { type LatencySummary, summarize } from "./stats.js";
import { workerSettings } from "./workerSettings.js";

const latencyRuns = Number(process.env.BENCH_LIVE_RUNS ?? 200);
const fanOutSubscribers = Number(process.env.BENCH_SUBSCRIBERS ?? 1_000);
/** 1,000 subscribers × 3 events of each run: 200 runs already make 600,000 deliveries. */
const fanOutRuns = Number(process.env.BENCH_FANOUT_RUNS ?? 200);
/** How long the fan-out waits for every event to reach every subscriber before it reports they did not. */
const fanOutDeadlineMs = Number(process.env.BENCH_FANOUT_DEADLINE_MS ?? 600_000);

/** `work` gets the API's address, an operator's client, and makes viewer tokens on demand. */
function withServer<T>(
  url: string,
  work: (base: string, client: ApiClient, token: string, newToken: () => Promise<string>) => Promise<T>,
): Promise<T> {
  return withBenchConveyor(
    url,
    {
      env: {
        LOG_LEVEL: "error",
        WORKER_CONCURRENCY: String(workerSettings.concurrency),
        CACHE_PREFIX: `bench-live:${process.pid}`,
      },
      api: true,
      worker: true,
    },
    ({ conveyor, url: base, client, token }) => {
      let created = 0;
      const newToken = async () => {
        created += 1;
        return (await createToken(conveyor.db, { name: `bench viewer ${created}`, role: "viewer" })).token;
      };
      return work(base, client, token, newToken);
    },
  );
}

/** Enqueue over HTTP (typed client) → `run.started` and `run.succeeded` as an SSE subscriber sees them. */
export function liveLatency(url: string): Promise<{ running: LatencySummary; succeeded: LatencySummary }> {
  return withServer(url, async (_base, client) => {
    // Arrival times by run and event type: an event may arrive before enqueue's response does.
    const arrivals = new Map<string, Map<LiveEvent["type"], number>>();
    let notify = () => {};
    const subscription = client.events.feed.subscribe(
      { task: "conveyor.noop" },
      {
        onData: ({ data }) => {
          const byType = arrivals.get(data.runId ?? "") ?? new Map<LiveEvent["type"], number>();
          byType.set(data.type, performance.now());
          arrivals.set(data.runId ?? "", byType);
          notify();
        },
      },
    );
    const arrival = async (runId: string, type: LiveEvent["type"]): Promise<number> => {
      for (;;) {
        const at = arrivals.get(runId)?.get(type);
        if (at !== undefined) return at;
        await new Promise<void>((resolve) => (notify = resolve));
      }
    };
    const running: number[] = [];
    const succeeded: number[] = [];
    try {
      for (let n = 0; n < latencyRuns + 20; n += 1) {
        const enqueuedAt = performance.now();
        const { id } = await client.runs.enqueue.mutate({ task: "conveyor.noop", input: { n } });
        const startedAt = await arrival(id, "run.started");
        const doneAt = await arrival(id, "run.succeeded");
        arrivals.delete(id);
        // The first runs warm the process up; they are not measured.
        if (n >= 20) {
          running.push(startedAt - enqueuedAt);
          succeeded.push(doneAt - enqueuedAt);
        }
      }
    } finally {
      subscription.unsubscribe();
    }
    return { running: summarize(running), succeeded: summarize(succeeded) };
  });
}

/** Many SSE subscribers on one API process while runs execute: does every event reach every subscriber? */
export function fanOut(url: string) {
  return withServer(url, async (base, client, token, newToken) => {
    // One token per hundred subscribers: a token may hold at most that many (subscriptionsPerToken).
    const tokens = await Promise.all(
      Array.from({ length: Math.ceil(fanOutSubscribers / limits.subscriptionsPerToken) }, newToken),
    );
    const memoryBefore = process.memoryUsage().rss;
    // queued, started and succeeded for every run.
    const expected = fanOutRuns * 3;
    const counts = new Array<number>(fanOutSubscribers).fill(0);
    let connected = 0;
    let allConnected = () => {};
    const connectedAll = new Promise<void>((resolve) => (allConnected = resolve));
    // Subscribers whose counter has reached `expected`; the last one to get there resolves `deliveredAll`.
    let complete = 0;
    let allDelivered = () => {};
    const deliveredAll = new Promise<void>((resolve) => (allDelivered = resolve));
    const subscriptions = Array.from({ length: fanOutSubscribers }, (_, index) =>
      createApiClient(base, tokens[Math.floor(index / limits.subscriptionsPerToken)] ?? token).events.feed.subscribe(
        { task: "conveyor.noop" },
        {
          onStarted: () => {
            connected += 1;
            if (connected === fanOutSubscribers) allConnected();
          },
          onData: () => {
            const count = (counts[index] ?? 0) + 1;
            counts[index] = count;
            if (count !== expected) return;
            complete += 1;
            if (complete === fanOutSubscribers) allDelivered();
          },
        },
      ),
    );
    await connectedAll;
    const memoryConnected = process.memoryUsage().rss;
    const started = performance.now();
    await client.runs.enqueueMany.mutate({
      items: Array.from({ length: fanOutRuns }, (_, n) => ({ task: "conveyor.noop", input: { n } })),
    });
    // Every counter at `expected`, or the deadline: a lost event is reported, never waited for forever.
    const isDeliveredInTime = await resolvesWithin(deliveredAll, fanOutDeadlineMs);
    const seconds = (performance.now() - started) / 1_000;
    const memoryPeak = process.memoryUsage().rss;
    for (const subscription of subscriptions) subscription.unsubscribe();
    return {
      subscribers: fanOutSubscribers,
      runs: fanOutRuns,
      events_per_subscriber: expected,
      deliveries: expected * fanOutSubscribers,
      // In time, and none twice.
      every_event_delivered: isDeliveredInTime && counts.every((count) => count === expected),
      seconds: Math.round(seconds * 100) / 100,
      rss_mb_before: Math.round(memoryBefore / 1_048_576),
      rss_mb_subscribed: Math.round(memoryConnected / 1_048_576),
      rss_mb_after_run: Math.round(memoryPeak / 1_048_576),
    };
  });
}
