import { mkdir, writeFile } from "node:fs/promises";
import { cpus } from "node:os";
import { withBenchDatabase } from "./benchDatabase.js";
import { cacheComparison } from "./cacheBench.js";
import { conveyorChains, conveyorChords } from "./conveyorFlows.js";
import { conveyorLatency, conveyorThroughput } from "./conveyorFullPath.js";
import { fanOut, liveLatency } from "./liveBench.js";
import { rawChains, rawChords } from "./rawFlows.js";
import { rawLatency, rawThroughput } from "./rawGraphileWorker.js";
import { e2eRuns, flowSizes, latencySamples, workerSettings } from "./workerSettings.js";

const round3 = (value: number) => Math.round(value * 1_000) / 1_000;

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
  const rawChainSeconds = await withBenchDatabase("rawchain", (url) => rawChains(url, flowSizes.chains));
  const chainSeconds = await withBenchDatabase("chain", (url) => conveyorChains(url, flowSizes.chains));
  console.log(
    `${flowSizes.chains} three-step chains: conveyor ${chainSeconds.toFixed(2)} s, raw ${rawChainSeconds.toFixed(2)} s`,
  );
  const rawChordSeconds = await withBenchDatabase("rawchord", (url) =>
    rawChords(url, flowSizes.chords, flowSizes.chordMembers),
  );
  const chordSeconds = await withBenchDatabase("chord", (url) =>
    conveyorChords(url, flowSizes.chords, flowSizes.chordMembers),
  );
  console.log(
    `${flowSizes.chords} chords of ${flowSizes.chordMembers}: conveyor ${chordSeconds.toFixed(2)} s, raw ${rawChordSeconds.toFixed(2)} s`,
  );

  const live = await withBenchDatabase("live", liveLatency);
  console.log(
    `SSE latency p50: running ${live.running.p50_ms} ms, succeeded ${live.succeeded.p50_ms} ms (raw enqueue→start ${rawLat.p50_ms} ms)`,
  );
  const fan = await withBenchDatabase("fanout", fanOut);
  console.log(
    `${fan.subscribers} SSE subscribers × ${fan.events_per_subscriber} events: all delivered ${fan.every_event_delivered} in ${fan.seconds} s, RSS ${fan.rss_mb_before} → ${fan.rss_mb_subscribed} → ${fan.rss_mb_after_run} MB`,
  );
  const cache = await withBenchDatabase("cache", cacheComparison);
  for (const [name, result] of Object.entries(cache)) {
    console.log(
      `${name}: cached ${result.cached.requests_per_s} req/s (p99 ${result.cached.p99_ms} ms), uncached ${result.uncached.requests_per_s} req/s (p99 ${result.uncached.p99_ms} ms)`,
    );
  }

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
    chains: {
      chains: flowSizes.chains,
      steps: 3,
      conveyor_seconds: round3(chainSeconds),
      raw_seconds: round3(rawChainSeconds),
      ratio: round3(rawChainSeconds / chainSeconds),
    },
    chords: {
      chords: flowSizes.chords,
      members: flowSizes.chordMembers,
      conveyor_seconds: round3(chordSeconds),
      raw_seconds: round3(rawChordSeconds),
      ratio: round3(rawChordSeconds / chordSeconds),
    },
    live: { ...live, raw_enqueue_to_start: rawLat },
    fan_out: fan,
    cache,
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
    "SSE running p50/p99 (ms)": { conveyor: `${live.running.p50_ms} / ${live.running.p99_ms}`, raw: rawLat.p50_ms },
    "SSE succeeded p50/p99 (ms)": { conveyor: `${live.succeeded.p50_ms} / ${live.succeeded.p99_ms}` },
    [`${flowSizes.chains} 3-step chains (s)`]: {
      conveyor: results.chains.conveyor_seconds,
      raw: results.chains.raw_seconds,
      ratio: results.chains.ratio,
    },
    ...Object.fromEntries(
      Object.entries(cache).map(([name, result]) => [
        `${name} req/s (cached vs uncached)`,
        { conveyor: result.cached.requests_per_s, raw: result.uncached.requests_per_s, ratio: result.ratio },
      ]),
    ),
    [`${flowSizes.chords} chords × ${flowSizes.chordMembers} (s)`]: {
      conveyor: results.chords.conveyor_seconds,
      raw: results.chords.raw_seconds,
      ratio: results.chords.ratio,
    },
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
