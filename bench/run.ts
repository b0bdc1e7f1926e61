import { mkdir, writeFile } from "node:fs/promises";
import { cpus } from "node:os";
import { withBenchDatabase } from "./benchDatabase.js";
import { cacheComparison } from "./cacheBench.js";
import { conveyorChains, conveyorChords } from "./conveyorFlows.js";
import { conveyorLatency, conveyorThroughput, conveyorThroughputWatched } from "./conveyorFullPath.js";
import { fanOut, liveLatency } from "./liveBench.js";
import { perRunCost } from "./perRunCost.js";
import { rawChains, rawChords } from "./rawFlows.js";
import { rawLatency, rawThroughput } from "./rawGraphileWorker.js";
import { scaleBench } from "./scale.js";
import { scaleOut } from "./scaleOut.js";
import { e2eRuns, flowSizes, latencySamples, workerSettings } from "./workerSettings.js";

const round3 = (value: number) => Math.round(value * 1_000) / 1_000;

/** A line of the table: Conveyor's figure, the baseline's, and their ratio where one means something. */
type Row = { conveyor: string | number; baseline?: string | number; ratio?: number };

interface Section {
  /** Its figures, as written to latest.json. */
  results: Record<string, unknown>;
  /** Its lines of the printed table. */
  rows: Record<string, Row>;
}

async function throughputAndLatency(): Promise<Section> {
  const raw = await withBenchDatabase("raw", rawThroughput);
  console.log(`raw graphile-worker: ${raw.perSecond.toFixed(0)} jobs/s`);
  const conveyor = await withBenchDatabase("e2e", conveyorThroughput);
  console.log(`conveyor full path:  ${conveyor.perSecond.toFixed(0)} runs/s`);
  const watched = await withBenchDatabase("watched", conveyorThroughputWatched);
  console.log(
    `with ${watched.lag.subscribers} feed subscribers: ${watched.result.perSecond.toFixed(0)} runs/s; all delivered ${watched.lag.every_event_delivered}, lag max ${watched.lag.lag_max_s} s (p99 ${watched.lag.lag_p99_s} s), ${watched.lag.events_per_message} events per message`,
  );
  const rawLat = await withBenchDatabase("rawlat", rawLatency);
  const conveyorLat = await withBenchDatabase("lat", conveyorLatency);
  const e2e = {
    runs: e2eRuns,
    conveyor_per_s: Math.round(conveyor.perSecond),
    raw_per_s: Math.round(raw.perSecond),
    ratio: round3(conveyor.perSecond / raw.perSecond),
    conveyor_seconds: round3(conveyor.seconds),
    raw_seconds: round3(raw.seconds),
  };
  return {
    results: {
      e2e,
      watched: {
        conveyor_per_s: Math.round(watched.result.perSecond),
        ratio: round3(watched.result.perSecond / raw.perSecond),
        ...watched.lag,
      },
      enqueue_to_start: { samples: latencySamples, conveyor: conveyorLat, raw: rawLat },
    },
    rows: {
      "throughput (per s)": { conveyor: e2e.conveyor_per_s, baseline: e2e.raw_per_s, ratio: e2e.ratio },
      [`throughput with ${watched.lag.subscribers} feed subscribers (per s)`]: {
        conveyor: Math.round(watched.result.perSecond),
        baseline: e2e.raw_per_s,
        ratio: round3(watched.result.perSecond / raw.perSecond),
      },
      "their lag, max / p99 (s); every event delivered": {
        conveyor: `${watched.lag.lag_max_s} / ${watched.lag.lag_p99_s}; ${watched.lag.every_event_delivered}`,
      },
      "enqueue→start p50 (ms)": { conveyor: conveyorLat.p50_ms, baseline: rawLat.p50_ms },
      "enqueue→start p95 (ms)": { conveyor: conveyorLat.p95_ms, baseline: rawLat.p95_ms },
      "enqueue→start p99 (ms)": { conveyor: conveyorLat.p99_ms, baseline: rawLat.p99_ms },
    },
  };
}

async function flows(): Promise<Section> {
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
  const chains = {
    chains: flowSizes.chains,
    steps: 3,
    conveyor_seconds: round3(chainSeconds),
    raw_seconds: round3(rawChainSeconds),
    ratio: round3(rawChainSeconds / chainSeconds),
  };
  const chords = {
    chords: flowSizes.chords,
    members: flowSizes.chordMembers,
    conveyor_seconds: round3(chordSeconds),
    raw_seconds: round3(rawChordSeconds),
    ratio: round3(rawChordSeconds / chordSeconds),
  };
  return {
    results: { chains, chords },
    rows: {
      [`${flowSizes.chains} 3-step chains (s)`]: {
        conveyor: chains.conveyor_seconds,
        baseline: chains.raw_seconds,
        ratio: chains.ratio,
      },
      [`${flowSizes.chords} chords × ${flowSizes.chordMembers} (s)`]: {
        conveyor: chords.conveyor_seconds,
        baseline: chords.raw_seconds,
        ratio: chords.ratio,
      },
    },
  };
}

async function live(): Promise<Section> {
  const rawLat = await withBenchDatabase("rawlat", rawLatency);
  const latency = await withBenchDatabase("live", liveLatency);
  console.log(
    `SSE latency p50: running ${latency.running.p50_ms} ms, succeeded ${latency.succeeded.p50_ms} ms (raw enqueue→start ${rawLat.p50_ms} ms)`,
  );
  const fans = [];
  for (const transport of ["websocket", "sse"] as const) {
    const fan = await withBenchDatabase(`fanout${transport}`, (url) => fanOut(url, transport));
    console.log(
      `${fan.subscribers} ${transport} subscribers × ${fan.events_per_subscriber} events: all delivered ${fan.every_event_delivered} in ${fan.seconds} s (${fan.deliveries_per_s} deliveries/s, ${fan.events_per_message} events per message, API CPU ${fan.api_cpu_seconds} s: ${fan.api_cpu_us_per_delivery} µs a delivery), server RSS ${fan.server_rss_mb_before} → ${fan.server_rss_mb_subscribed} → ${fan.server_rss_mb_after_run} MB`,
    );
    fans.push(fan);
  }
  return {
    results: { live: { ...latency, raw_enqueue_to_start: rawLat }, fan_out: fans },
    rows: {
      "SSE running p50/p99 (ms)": {
        conveyor: `${latency.running.p50_ms} / ${latency.running.p99_ms}`,
        baseline: rawLat.p50_ms,
      },
      "SSE succeeded p50/p99 (ms)": { conveyor: `${latency.succeeded.p50_ms} / ${latency.succeeded.p99_ms}` },
      ...Object.fromEntries(
        fans.flatMap((fan) => [
          [
            `${fan.subscribers} ${fan.transport} subscribers (deliveries/s; all delivered)`,
            { conveyor: `${fan.deliveries_per_s}; ${fan.every_event_delivered}` },
          ],
          [
            `server RSS growth with ${fan.transport} subscribers (MB)`,
            { conveyor: fan.server_rss_mb_after_run - fan.server_rss_mb_before },
          ],
        ]),
      ),
    },
  };
}

async function cache(): Promise<Section> {
  const listings = await withBenchDatabase("cache", cacheComparison);
  for (const [name, result] of Object.entries(listings)) {
    console.log(
      `${name}: cached ${result.cached.requests_per_s} req/s (p50 ${result.cached.p50_ms} ms, p99 ${result.cached.p99_ms} ms), uncached ${result.uncached.requests_per_s} req/s (p50 ${result.uncached.p50_ms} ms, p99 ${result.uncached.p99_ms} ms)`,
    );
  }
  return {
    results: { cache: listings },
    rows: Object.fromEntries(
      Object.entries(listings).flatMap(([name, result]) => [
        [
          `${name} req/s (cached vs uncached)`,
          { conveyor: result.cached.requests_per_s, baseline: result.uncached.requests_per_s, ratio: result.ratio },
        ],
        [`${name} p99 ms (cached vs uncached)`, { conveyor: result.cached.p99_ms, baseline: result.uncached.p99_ms }],
      ]),
    ),
  };
}

async function scaleout(): Promise<Section> {
  const results = await scaleOut();
  return {
    results: { scale_out: results },
    rows: Object.fromEntries(
      results.map((result) => [
        `${result.workers} worker process${result.workers === 1 ? "" : "es"} (runs/s)`,
        { conveyor: result.per_s, baseline: results[0]?.per_s ?? result.per_s, ratio: result.speedup },
      ]),
    ),
  };
}

async function scale(): Promise<Section> {
  const raw = await withBenchDatabase("raw", rawThroughput);
  const empty = await withBenchDatabase("e2e", conveyorThroughput);
  const grown = await withBenchDatabase("scale", scaleBench);
  const ratio = (perSecond: number) => round3(perSecond / raw.perSecond);
  const rows: Record<string, Row> = {
    "runs / events / runs partitions": { conveyor: `${grown.runs} / ${grown.events} / ${grown.partitions}` },
  };
  for (const [name, listing] of Object.entries(grown.listings)) {
    rows[`list: ${name} (ms, first / p50)`] = { conveyor: `${listing.first_ms} / ${listing.p50_ms}`, baseline: 50 };
  }
  rows["overview (ms, first / p50)"] = {
    conveyor: `${grown.overview.first_ms} / ${grown.overview.p50_ms}`,
    baseline: 100,
  };
  rows["retention of one day (s)"] = {
    conveyor: `${grown.retention.seconds} (${grown.retention.dropped} dropped, ${grown.retention.kept} kept)`,
  };
  rows["throughput, empty database (per s)"] = {
    conveyor: Math.round(empty.perSecond),
    baseline: Math.round(raw.perSecond),
    ratio: ratio(empty.perSecond),
  };
  rows["throughput, grown database (per s)"] = {
    conveyor: grown.throughput_per_s,
    baseline: Math.round(raw.perSecond),
    ratio: ratio(grown.throughput_per_s),
  };
  return {
    results: {
      scale: {
        ...grown,
        raw_per_s: Math.round(raw.perSecond),
        empty_per_s: Math.round(empty.perSecond),
        empty_ratio: ratio(empty.perSecond),
        grown_ratio: ratio(grown.throughput_per_s),
      },
    },
    rows,
  };
}

/** Per run, Conveyor's full path beside raw graphile-worker: statements, Postgres time, WAL, Node CPU. */
async function costs(): Promise<Section> {
  const raw = await perRunCost(rawThroughput);
  const conveyor = await perRunCost(conveyorThroughput);
  for (const [name, cost] of Object.entries({ raw, conveyor })) {
    console.log(`${name}: costliest statements`);
    console.table(cost.top);
  }
  const row = (key: keyof Omit<typeof raw, "top">) => ({ conveyor: conveyor[key], baseline: raw[key] });
  return {
    results: { costs: { conveyor, raw } },
    rows: {
      "per run: statements": row("statements"),
      "per run: Postgres execution (µs)": row("postgres_exec_us"),
      "per run: WAL (bytes)": row("wal_bytes"),
      "per run: Node CPU (µs)": row("node_cpu_us"),
      "runs/s while measured": row("runs_per_s"),
    },
  };
}

const sections = { throughput: throughputAndLatency, flows, live, cache, scaleout, scale, costs } satisfies Record<
  string,
  () => Promise<Section>
>;

/** What runs when no section is named: all but `scale`, which seeds millions of runs first, and `costs`. */
const defaultSections: (keyof typeof sections)[] = ["throughput", "flows", "live", "cache", "scaleout"];

/**
 * `npm run bench [-- section…]`: Conveyor beside raw graphile-worker with the same worker settings,
 * in the same run, so ratios hold on a noisy machine; the cache's listings cached beside uncached.
 * Every section but scale by default, or the ones named (throughput, flows, live, cache, scaleout,
 * scale: listings, overview and retention at 10 M runs; costs: per run, on a private cluster with
 * pg_stat_statements). Prints a table and
 * writes bench/results/latest.json. Asserts nothing.
 */
async function main(): Promise<void> {
  const asked = process.argv.slice(2);
  const unknown = asked.filter((name) => !(name in sections));
  if (unknown.length > 0) {
    throw new Error(`unknown bench section ${unknown.join(", ")}; choose from ${Object.keys(sections).join(", ")}`);
  }
  const chosen = asked.length > 0 ? (asked as (keyof typeof sections)[]) : defaultSections;
  console.log(
    `Conveyor bench (${chosen.join(", ")}): ${e2eRuns} no-op runs, concurrency ${workerSettings.concurrency}, local queue ${workerSettings.localQueueSize}, ${cpus().length} cores, Node ${process.version}\n`,
  );
  const results: Record<string, unknown> = {};
  const rows: Record<string, Row> = {};
  for (const name of chosen) {
    const section = await sections[name]();
    Object.assign(results, section.results);
    Object.assign(rows, section.rows);
  }
  results.machine = { cores: cpus().length, node: process.version, ...workerSettings };

  console.log(
    "\nbaseline: raw graphile-worker with the same settings; for the cache rows, the same listing uncached; for the worker processes, one process",
  );
  console.table(rows);
  const file = new URL("./results/latest.json", import.meta.url);
  await mkdir(new URL("./results/", import.meta.url), { recursive: true });
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nwritten to bench/results/latest.json`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
