import { mkdir, writeFile } from "node:fs/promises";
import { cpus } from "node:os";
import { withBenchDatabase } from "./benchDatabase.js";
import { conveyorLatency, conveyorThroughput } from "./conveyorFullPath.js";
import { rawLatency, rawThroughput } from "./rawGraphileWorker.js";
import { e2eRuns, latencySamples, workerSettings } from "./workerSettings.js";

/**
 * `npm run bench`: Conveyor's full path beside raw graphile-worker with the same worker settings,
 * in the same run, so the ratio holds on a noisy machine. Prints a table and writes
 * bench/results/latest.json. Asserts nothing.
 */
async function main(): Promise<void> {
  console.log(
    `Conveyor bench: ${e2eRuns} no-op runs, concurrency ${workerSettings.concurrency}, local queue ${workerSettings.localQueueSize}, ${cpus().length} cores, Node ${process.version}\n`,
  );
  const raw = await withBenchDatabase("raw", rawThroughput);
  console.log(`raw graphile-worker: ${raw.perSecond.toFixed(0)} jobs/s`);
  const conveyor = await withBenchDatabase("e2e", conveyorThroughput);
  console.log(`conveyor full path:  ${conveyor.perSecond.toFixed(0)} runs/s`);
  const rawLat = await withBenchDatabase("rawlat", rawLatency);
  const conveyorLat = await withBenchDatabase("lat", conveyorLatency);

  const results = {
    e2e: {
      runs: e2eRuns,
      conveyor_per_s: Math.round(conveyor.perSecond),
      raw_per_s: Math.round(raw.perSecond),
      ratio: Math.round((conveyor.perSecond / raw.perSecond) * 1_000) / 1_000,
      conveyor_seconds: Math.round(conveyor.seconds * 1_000) / 1_000,
      raw_seconds: Math.round(raw.seconds * 1_000) / 1_000,
    },
    enqueue_to_start: {
      samples: latencySamples,
      conveyor: conveyorLat,
      raw: rawLat,
    },
    machine: { cores: cpus().length, node: process.version, ...workerSettings },
  };

  console.log("");
  console.table({
    "throughput (per s)": {
      conveyor: results.e2e.conveyor_per_s,
      raw: results.e2e.raw_per_s,
      ratio: results.e2e.ratio,
    },
    "enqueue→start p50 (ms)": { conveyor: conveyorLat.p50_ms, raw: rawLat.p50_ms },
    "enqueue→start p95 (ms)": { conveyor: conveyorLat.p95_ms, raw: rawLat.p95_ms },
    "enqueue→start p99 (ms)": { conveyor: conveyorLat.p99_ms, raw: rawLat.p99_ms },
  });
  const file = new URL("./results/latest.json", import.meta.url);
  await mkdir(new URL("./results/", import.meta.url), { recursive: true });
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nwritten to bench/results/latest.json`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
