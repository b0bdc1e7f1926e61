import { type ConveyorProcess, spawnConveyorProcess } from "../tests/fixtures/conveyorProcess.js";
import { withBenchConveyor } from "./benchConveyor.js";
import { withBenchDatabase } from "./benchDatabase.js";
import { enqueueNoopsUntilSucceeded } from "./conveyorFullPath.js";
import { conveyorWorkerEnv, e2eRuns } from "./workerSettings.js";

export interface ScaleOutResult {
  workers: number;
  runs: number;
  seconds: number;
  per_s: number;
  /** Throughput over one worker process's, in the same run. */
  speedup: number;
}

/** Worker process counts the table shows. */
export const workerCounts = [1, 2, 4] as const;

/**
 * `e2eRuns` no-op runs enqueued over HTTP to an API in this process, executed by `workers` worker
 * processes (`npm start -- --worker`, each with the bench's worker settings) on one database:
 * seconds from the first enqueue to the last success.
 */
async function drainWith(workers: number): Promise<{ seconds: number; perSecond: number }> {
  return withBenchDatabase(`scale${workers}`, (url) =>
    withBenchConveyor(url, { env: { LOG_LEVEL: "warn" }, api: true, worker: false }, async ({ client }) => {
      const processes: ConveyorProcess[] = [];
      try {
        const env = { ...conveyorWorkerEnv, DATABASE_URL: url, CACHE_PREFIX: "bench:scale" };
        processes.push(
          ...(await Promise.all(Array.from({ length: workers }, () => spawnConveyorProcess("worker", env)))),
        );
        return await enqueueNoopsUntilSucceeded(url, client);
      } finally {
        await Promise.all(processes.map((child) => child.terminate(10_000)));
      }
    }),
  );
}

/** The same work on 1, 2 and 4 worker processes, each figure beside one process's. */
export async function scaleOut(): Promise<ScaleOutResult[]> {
  const results: ScaleOutResult[] = [];
  for (const workers of workerCounts) {
    const { seconds, perSecond } = await drainWith(workers);
    const single = results[0]?.per_s ?? perSecond;
    results.push({
      workers,
      runs: e2eRuns,
      seconds: Math.round(seconds * 1_000) / 1_000,
      per_s: Math.round(perSecond),
      speedup: Math.round((perSecond / single) * 100) / 100,
    });
    console.log(`${workers} worker process(es): ${Math.round(perSecond)} runs/s`);
  }
  return results;
}
