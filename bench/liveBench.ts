import { readFile } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import { type LiveEvent, limits } from "@conveyor/shared";
import type { LiveTransport } from "../packages/client/src/createClient.js";
import { createToken } from "../server/src/auth/tokens.js";
import { createDatabase, createPool } from "../server/src/db/client.js";
import { resolvesWithin } from "../server/src/resolvesWithin.js";
import { type ConveyorProcess, spawnConveyorProcess } from "../tests/fixtures/conveyorProcess.js";
import { type ApiClient, createApiClient } from "../tests/fixtures/testConveyor.js";
import { withBenchConveyor } from "./benchConveyor.js";
import { type LatencySummary, summarize } from "./stats.js";
import { workerSettings } from "./workerSettings.js";

const latencyRuns = Number(process.env.BENCH_LIVE_RUNS ?? 200);
const fanOutSubscribers = Number(process.env.BENCH_SUBSCRIBERS ?? 1_000);
/** 1,000 subscribers × 3 events of each run: 1,000 runs make 3,000,000 deliveries. */
const fanOutRuns = Number(process.env.BENCH_FANOUT_RUNS ?? 1_000);
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

/**
 * Like `withServer`, but the API and the worker are processes of their own (`npm start -- --api`,
 * `-- --worker`), so what `work` does in this process is not measured as the server's; `work` also
 * gets the API process, to read its memory.
 */
async function withServerProcesses<T>(
  url: string,
  work: (base: string, client: ApiClient, newToken: () => Promise<string>, api: ConveyorProcess) => Promise<T>,
): Promise<T> {
  const env = {
    DATABASE_URL: url,
    LOG_LEVEL: "error",
    WORKER_CONCURRENCY: String(workerSettings.concurrency),
    CACHE_PREFIX: `bench-live:${process.pid}`,
  };
  // The API migrates the database before the worker and this process use it.
  const api = await spawnConveyorProcess("api", env);
  const pool = createPool(url, 2);
  let worker: ConveyorProcess | null = null;
  try {
    worker = await spawnConveyorProcess("worker", env);
    const db = createDatabase(pool);
    let created = 0;
    const newToken = async (role: "viewer" | "operator" = "viewer") => {
      created += 1;
      return (await createToken(db, { name: `bench ${role} ${created}`, role })).token;
    };
    const client = createApiClient(api.url, await newToken("operator"));
    return await work(api.url, client, () => newToken(), api);
  } finally {
    await Promise.all([api.terminate(10_000), worker?.terminate(10_000)]);
    await pool.end();
  }
}

/** A process's resident memory, in MB, from /proc. */
async function residentMb(pid: number | undefined): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN);
  return Math.round(kb / 1_024);
}

/** CPU seconds a process has used (user and system), from /proc. */
async function cpuSeconds(pid: number | undefined): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
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
        onData: ({ data: events }) => {
          for (const event of events) {
            const byType = arrivals.get(event.runId ?? "") ?? new Map<LiveEvent["type"], number>();
            byType.set(event.type, performance.now());
            arrivals.set(event.runId ?? "", byType);
          }
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

/**
 * Many subscribers on one API process while runs execute, over one transport: does every event
 * reach every subscriber, in order and once, how fast, and what does it cost the server's memory?
 * The server runs in processes of its own; the subscribers in this one.
 */
export function fanOut(url: string, transport: LiveTransport) {
  return withServerProcesses(url, async (base, client, newToken, api) => {
    // One token per hundred subscribers: a token may hold at most that many (subscriptionsPerToken).
    const tokens = await Promise.all(
      Array.from({ length: Math.ceil(fanOutSubscribers / limits.subscriptionsPerToken) }, newToken),
    );
    const serverMbBefore = await residentMb(api.child.pid);
    // queued, started and succeeded for every run.
    const expected = fanOutRuns * 3;
    const counts = new Array<number>(fanOutSubscribers).fill(0);
    const lastIds = new Array<number>(fanOutSubscribers).fill(0);
    let outOfOrder = 0;
    let messages = 0;
    let connected = 0;
    let allConnected = () => {};
    const connectedAll = new Promise<void>((resolve) => (allConnected = resolve));
    // Subscribers whose counter has reached `expected`; the last one to get there resolves `deliveredAll`.
    let complete = 0;
    let allDelivered = () => {};
    const deliveredAll = new Promise<void>((resolve) => (allDelivered = resolve));
    const subscriptions = Array.from({ length: fanOutSubscribers }, (_, index) =>
      createApiClient(base, tokens[Math.floor(index / limits.subscriptionsPerToken)] ?? "", {
        transport,
      }).events.feed.subscribe(
        { task: "conveyor.noop" },
        {
          onStarted: () => {
            connected += 1;
            if (connected === fanOutSubscribers) allConnected();
          },
          onData: ({ data: events }) => {
            messages += 1;
            for (const event of events) {
              if (event.id <= (lastIds[index] ?? 0)) outOfOrder += 1;
              lastIds[index] = event.id;
            }
            const count = (counts[index] ?? 0) + events.length;
            counts[index] = count;
            if (count !== expected) return;
            complete += 1;
            if (complete === fanOutSubscribers) allDelivered();
          },
        },
      ),
    );
    await connectedAll;
    const serverMbSubscribed = await residentMb(api.child.pid);
    const apiCpuBefore = await cpuSeconds(api.child.pid);
    const started = performance.now();
    await client.runs.enqueueMany.mutate({
      items: Array.from({ length: fanOutRuns }, (_, n) => ({ task: "conveyor.noop", input: { n } })),
    });
    // Every counter at `expected`, or the deadline: a lost event is reported, never waited for forever.
    const isDeliveredInTime = await resolvesWithin(deliveredAll, fanOutDeadlineMs);
    const seconds = (performance.now() - started) / 1_000;
    const serverMbAfter = await residentMb(api.child.pid);
    const apiCpu = (await cpuSeconds(api.child.pid)) - apiCpuBefore;
    for (const subscription of subscriptions) subscription.unsubscribe();
    const deliveries = expected * fanOutSubscribers;
    return {
      transport,
      subscribers: fanOutSubscribers,
      runs: fanOutRuns,
      events_per_subscriber: expected,
      deliveries,
      // In time, and none twice.
      every_event_delivered: isDeliveredInTime && outOfOrder === 0 && counts.every((count) => count === expected),
      events_per_message: Math.round((deliveries / messages) * 10) / 10,
      seconds: Math.round(seconds * 100) / 100,
      deliveries_per_s: Math.round(deliveries / seconds),
      // The API process's CPU while it delivered, per delivery: what the server spends, whatever the bench's clients cost.
      api_cpu_seconds: Math.round(apiCpu * 100) / 100,
      api_cpu_us_per_delivery: Math.round((apiCpu / deliveries) * 1e6 * 100) / 100,
      server_rss_mb_before: serverMbBefore,
      server_rss_mb_subscribed: serverMbSubscribed,
      server_rss_mb_after_run: serverMbAfter,
    };
  });
}
