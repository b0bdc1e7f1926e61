// `npm run soak [-- --minutes 60]`: mixed load on two API and two worker processes over a private
// Postgres (a primary and its synchronous standby, PgBouncer in front) and Redis, a fault every
// minute, and a sample of every process's memory and of the database's connections after each.
// Exits non-zero if a run is lost or either grows.
import { readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { setTimeout as sleepFor } from "node:timers/promises";
import { parseArgs } from "node:util";
import { ensureDatabase } from "../server/src/db/ensureDatabase.js";
import { enqueueLoad, FaultCluster, untilAllFinished } from "../tests/fixtures/faultCluster.js";
import { startPgBouncer } from "../tests/fixtures/pgBouncer.js";
import { startPrivateRedis } from "../tests/fixtures/privateRedis.js";
import { startReplicatedPostgres } from "../tests/fixtures/replicatedPostgres.js";
import { startStallingProxy } from "../tests/fixtures/stallingProxy.js";

const { values } = parseArgs({ options: { minutes: { type: "string", default: process.env.SOAK_MINUTES ?? "60" } } });
const minutes = Number(values.minutes);
if (!Number.isInteger(minutes) || minutes < 2) {
  console.error("--minutes: a whole number of at least 2");
  process.exit(2);
}

/** Runs and three-step chains per minute. */
const runsPerMinute = 2_000;
const chainsPerMinute = 40;

interface Sample {
  minute: number;
  fault: string;
  recoveryMs: number;
  /** Resident memory of each process, in MB, by role and position. */
  rssMb: Record<string, number>;
  /** Connections to the database, all roles together. */
  connections: number;
  lost: number;
}

function rssMb(pid: number | undefined): number {
  if (pid === undefined) return 0;
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kilobytes = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kilobytes / 1024);
}

// Production's shape: a primary with a synchronous standby behind one address that moves at
// failover, PgBouncer in transaction mode in front of DATABASE_URL, sessions direct.
const database = await startReplicatedPostgres({ synchronous: true });
const redis = await startPrivateRedis();
const bouncer = await startPgBouncer(database.serverUrl);
const directUrl = `${database.serverUrl}/conveyor_soak`;
const pooledUrl = `${bouncer.serverUrl}/conveyor_soak`;
await ensureDatabase(directUrl);
// Worker 0 reaches both through proxies that the network stall stalls together.
const stallPooled = await startStallingProxy({ host: "127.0.0.1", port: Number(new URL(bouncer.serverUrl).port) });
const stallDirect = await startStallingProxy({ host: "127.0.0.1", port: Number(new URL(database.serverUrl).port) });
const throughStall = (url: string, proxy: { port: number }) => url.replace(/:\d+\//, `:${proxy.port}/`);
const cluster = await FaultCluster.start({
  databaseUrl: pooledUrl,
  directDatabaseUrl: directUrl,
  redisUrl: redis.url,
  workerDatabaseUrl: (index) => (index === 0 ? throughStall(pooledUrl, stallPooled) : pooledUrl),
  workerDirectDatabaseUrl: (index) => (index === 0 ? throughStall(directUrl, stallDirect) : directUrl),
});

/** The faults, in turn; each leaves two APIs and two workers running. */
const faults: { name: string; inject: () => Promise<void> }[] = [
  {
    name: "failover to the synchronous standby",
    inject: async () => {
      database.failover();
      await database.rebuildReplica();
    },
  },
  {
    name: "PgBouncer restart",
    inject: async () => {
      await bouncer.kill();
      await bouncer.start();
    },
  },
  {
    name: "worker SIGKILL",
    inject: async () => {
      const victim = cluster.workers.at(-1);
      if (victim) await cluster.kill(victim);
      await cluster.spawn("worker");
    },
  },
  {
    name: "terminate every backend",
    inject: async () => {
      await cluster.query(
        "select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()",
      );
    },
  },
  {
    name: "Postgres crash",
    inject: async () => {
      database.primary.crash();
      database.primary.start();
    },
  },
  {
    name: "Redis restart",
    inject: async () => {
      await redis.kill();
      await sleepFor(2_000);
      await redis.start();
    },
  },
  {
    name: "API SIGKILL",
    inject: async () => {
      const victim = cluster.apis.at(-1);
      if (victim) await cluster.kill(victim);
      await cluster.spawn("api");
    },
  },
  {
    name: "network stall 5 s",
    inject: async () => {
      await Promise.all([stallPooled.stall(5_000), stallDirect.stall(5_000)]);
    },
  },
];

const samples: Sample[] = [];
try {
  for (let minute = 0; minute < minutes; minute += 1) {
    const minuteEnds = Date.now() + 60_000;
    // The first minute is the baseline: load, no fault.
    const fault = minute === 0 ? { name: "none", inject: async () => {} } : faults[(minute - 1) % faults.length];
    if (!fault) throw new Error("no fault");
    const client = cluster.client(0);
    // Enqueued before the fault strikes (an enqueue refused mid-fault is the caller's to retry),
    // and still running when it does.
    const loads = [await enqueueLoad(client, { runs: runsPerMinute, chains: chainsPerMinute })];
    const faultAt = Date.now();
    await fault.inject();
    console.log(`minute ${minute}: ${fault.name} took ${Date.now() - faultAt} ms`);
    const runIds = loads.flatMap((load) => [...load.runIds, ...load.flows.flatMap((flow) => flow.runIds)]);
    // This minute's runs, by id: a count over every run would scan the hour's history five times a
    // second and slow the processes measured as the history grows.
    const finishedAfter = await untilAllFinished(cluster, faultAt, 120_000, runIds);
    const [outcome] = await cluster.query<{ succeeded: number; succeeded_events: number }>(
      `select count(*) filter (where r.status = 'succeeded')::int as succeeded,
         (select count(*)::int from events e where e.run_id = any($1::uuid[]) and e.type = 'run.succeeded') as succeeded_events
       from runs r where r.id = any($1::uuid[])`,
      [runIds],
    );
    const [connections] = await cluster.query<{ n: number }>(
      "select count(*)::int as n from pg_stat_activity where datname = current_database()",
    );
    const sample: Sample = {
      minute,
      fault: fault.name,
      recoveryMs: finishedAfter,
      rssMb: Object.fromEntries(
        cluster.processes.map((process, index) => [`${process.role}${index}`, rssMb(process.child.pid)]),
      ),
      connections: connections?.n ?? 0,
      lost: runIds.length - Math.min(outcome?.succeeded ?? 0, outcome?.succeeded_events ?? 0),
    };
    samples.push(sample);
    console.log(JSON.stringify(sample));
    const rest = minuteEnds - Date.now();
    if (rest > 0) await sleepFor(rest);
  }
} finally {
  await cluster.stop();
  await stallPooled.close();
  await stallDirect.close();
  await bouncer.destroy();
  await redis.kill();
  await database.destroy();
}

/** Growth from the first samples after warm-up to the last ones. */
const average = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
const totalRss = (sample: Sample) => Object.values(sample.rssMb).reduce((sum, value) => sum + value, 0);
const early = samples.slice(1, 4);
const late = samples.slice(-3);
const rssGrowth = average(late.map(totalRss)) / average(early.map(totalRss)) - 1;
const connectionGrowth =
  average(late.map((sample) => sample.connections)) - average(early.map((sample) => sample.connections));
const lost = samples.reduce((sum, sample) => sum + sample.lost, 0);
const summary = {
  minutes,
  faults: samples.length - 1,
  lostRuns: lost,
  rssMb: { early: Math.round(average(early.map(totalRss))), late: Math.round(average(late.map(totalRss))) },
  rssGrowthPercent: Math.round(rssGrowth * 1_000) / 10,
  connections: {
    early: average(early.map((sample) => sample.connections)),
    late: average(late.map((sample) => sample.connections)),
  },
  maxRecoveryMs: Math.max(...samples.map((sample) => sample.recoveryMs)),
};
await mkdir("bench/results", { recursive: true });
await writeFile("bench/results/soak.json", `${JSON.stringify({ summary, samples }, null, 2)}\n`);
console.log(JSON.stringify(summary, null, 2));
// Flat: memory within a fifth of its early level, no more connections than early plus a pool's worth.
const isFlat = rssGrowth < 0.2 && connectionGrowth <= 10;
if (lost > 0 || !isFlat) {
  console.error(lost > 0 ? `${lost} runs lost` : "memory or connections grew");
  process.exit(1);
}
