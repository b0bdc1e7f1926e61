import { performance } from "node:perf_hooks";
import { defineTask } from "@conveyor/shared";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import superjson from "superjson";
import { z } from "zod";
import { startConveyor } from "../server/src/app.js";
import { createToken } from "../server/src/auth/tokens.js";
import { loadConfig } from "../server/src/config/env.js";
import type { AppRouter } from "../server/src/router.js";
import { bundledImplementations } from "../server/src/tasks/bundled.js";
import { implementTask } from "../server/src/worker/taskImplementation.js";
import { type LatencySummary, summarize } from "./stats.js";
import { waitForCount } from "./waitForCount.js";
import { e2eRuns, enqueueBatchSize, latencySamples, workerSettings } from "./workerSettings.js";

/** Notes when its handler starts, so latency is measured to the moment the task's code runs. */
const mark = defineTask({
  name: "bench.mark",
  description: "Records when it starts.",
  input: z.object({ n: z.number().int() }),
  output: z.object({ n: z.number().int() }),
  defaults: { maxAttempts: 1 },
});

async function startFullPath(url: string, onMark: (n: number) => void) {
  const config = loadConfig({
    DATABASE_URL: url,
    PORT: "0",
    LOG_LEVEL: "warn",
    WORKER_CONCURRENCY: String(workerSettings.concurrency),
    WORKER_LOCAL_QUEUE_SIZE: String(workerSettings.localQueueSize),
  });
  const conveyor = await startConveyor({
    config,
    api: true,
    worker: true,
    staticDir: null,
    implementations: (db, settings) => [
      ...bundledImplementations(db, settings),
      implementTask(mark, async ({ n }) => {
        onMark(n);
        return { n };
      }),
    ],
  });
  const { token } = await createToken(conveyor.db, { name: "bench", role: "operator" });
  const client = createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: `${conveyor.url}/trpc`,
        transformer: superjson,
        headers: { authorization: `Bearer ${token}` },
      }),
    ],
  });
  return { conveyor, client };
}

/** `runs.enqueueMany` over HTTP in batches while the worker runs them: enqueue to last success. */
export async function conveyorThroughput(url: string): Promise<{ perSecond: number; seconds: number }> {
  const { conveyor, client } = await startFullPath(url, () => {});
  const allSucceeded = waitForCount(url, "select count(*)::int as n from runs where status = 'succeeded'", e2eRuns);
  const started = performance.now();
  for (let from = 0; from < e2eRuns; from += enqueueBatchSize) {
    const size = Math.min(enqueueBatchSize, e2eRuns - from);
    await client.runs.enqueueMany.mutate({
      items: Array.from({ length: size }, (_, i) => ({ task: "conveyor.noop", input: { n: from + i } })),
    });
  }
  await allSucceeded;
  const seconds = (performance.now() - started) / 1_000;
  await conveyor.close();
  return { perSecond: e2eRuns / seconds, seconds };
}

/** `runs.enqueue` over HTTP → the task's code starting, one run at a time on an idle worker. */
export async function conveyorLatency(url: string): Promise<LatencySummary> {
  const starts = new Map<number, (at: number) => void>();
  const { conveyor, client } = await startFullPath(url, (n) => starts.get(n)?.(performance.now()));
  const samples: number[] = [];
  for (let n = 0; n < latencySamples; n += 1) {
    const started = new Promise<number>((resolve) => starts.set(n, resolve));
    const enqueuedAt = performance.now();
    await client.runs.enqueue.mutate({ task: "bench.mark", input: { n } });
    samples.push((await started) - enqueuedAt);
  }
  await conveyor.close();
  return summarize(samples);
}
