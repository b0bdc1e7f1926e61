import { performance } from "node:perf_hooks";
import { defineTask } from "@conveyor/shared";
import { z } from "zod";
import { bundledImplementations } from "../server/src/bundledTasks/bundled.js";
import { uuidFloor } from "../server/src/history/partitions.js";
import { implementTask } from "../server/src/worker/taskImplementation.js";
import { type BenchConveyor, withBenchConveyor } from "./benchConveyor.js";
import { watchFeedDuring } from "./feedLag.js";
import { type LatencySummary, summarize } from "./stats.js";
import { waitForCount } from "./waitForCount.js";
import { conveyorWorkerEnv, e2eRuns, enqueueBatchSize, latencySamples } from "./workerSettings.js";

/** Notes when its handler starts, so latency is measured to the moment the task's code runs. */
const mark = defineTask({
  name: "bench.mark",
  description: "Records when it starts.",
  input: z.object({ n: z.number().int() }),
  output: z.object({ n: z.number().int() }),
  defaults: { maxAttempts: 1 },
});

/** The API and a worker with the bundled tasks and `bench.mark`, which calls `onMark` as it starts. */
function withFullPath<T>(url: string, onMark: (n: number) => void, work: (bench: BenchConveyor) => Promise<T>) {
  return withBenchConveyor(
    url,
    {
      env: conveyorWorkerEnv,
      api: true,
      worker: true,
      implementations: (db, settings) => [
        ...bundledImplementations(db, settings),
        implementTask(mark, async ({ n }) => {
          onMark(n);
          return { n };
        }),
      ],
    },
    work,
  );
}

/**
 * `e2eRuns` no-op runs enqueued with `runs.enqueueMany` over HTTP in batches while workers run
 * them: seconds from the first enqueue to the last success.
 */
export async function enqueueNoopsUntilSucceeded(
  url: string,
  client: BenchConveyor["client"],
): Promise<{ perSecond: number; seconds: number }> {
  // Counts only the runs enqueued from here on (their ids begin with their creation time), so the
  // count is the same work on an empty and a grown database.
  const since = uuidFloor(Date.now());
  const allSucceeded = waitForCount(
    url,
    `select count(*)::int as n from runs where status = 'succeeded' and id >= '${since}'`,
    e2eRuns,
  );
  const started = performance.now();
  for (let from = 0; from < e2eRuns; from += enqueueBatchSize) {
    const size = Math.min(enqueueBatchSize, e2eRuns - from);
    await client.runs.enqueueMany.mutate({
      items: Array.from({ length: size }, (_, i) => ({ task: "conveyor.noop", input: { n: from + i } })),
    });
  }
  await allSucceeded;
  const seconds = (performance.now() - started) / 1_000;
  return { perSecond: e2eRuns / seconds, seconds };
}

/** The API and a worker in this process: enqueue to last success (see `enqueueNoopsUntilSucceeded`). */
export function conveyorThroughput(url: string): Promise<{ perSecond: number; seconds: number }> {
  return withFullPath(
    url,
    () => {},
    ({ client }) => enqueueNoopsUntilSucceeded(url, client),
  );
}

/** Feed subscribers watching the throughput run, as a dashboard per operator would. */
const feedWatchers = Number(process.env.BENCH_FEED_WATCHERS ?? 10);

/**
 * The same throughput run with unfiltered `events.feed` subscribers over WebSocket: the runs per
 * second with them, and how far behind the newest committed event they fell.
 */
export function conveyorThroughputWatched(url: string) {
  return withFullPath(
    url,
    () => {},
    ({ client, conveyor, url: base, token }) =>
      watchFeedDuring({ url: base, token, db: conveyor.db, subscribers: feedWatchers }, () =>
        enqueueNoopsUntilSucceeded(url, client),
      ),
  );
}

/** `runs.enqueue` over HTTP → the task's code starting, one run at a time on an idle worker. */
export function conveyorLatency(url: string): Promise<LatencySummary> {
  const starts = new Map<number, (at: number) => void>();
  return withFullPath(
    url,
    (n) => starts.get(n)?.(performance.now()),
    async ({ client }) => {
      const samples: number[] = [];
      for (let n = 0; n < latencySamples; n += 1) {
        const started = new Promise<number>((resolve) => starts.set(n, resolve));
        const enqueuedAt = performance.now();
        await client.runs.enqueue.mutate({ task: "bench.mark", input: { n } });
        samples.push((await started) - enqueuedAt);
      }
      return summarize(samples);
    },
  );
}
