import { mkdirSync, writeFileSync } from "node:fs";
import { setTimeout as sleepFor } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { dropDatabase, ensureDatabase } from "../server/src/db/ensureDatabase.js";
import {
  type ClusterOptions,
  defaultLoad,
  enqueueLoad,
  FaultCluster,
  latestEventId,
  openFeeds,
  openWatches,
  untilAllFinished,
  untilSucceeded,
} from "./fixtures/faultCluster.js";
import { expectExactOutcome } from "./fixtures/faultOutcome.js";
import { startPrivatePostgres } from "./fixtures/privatePostgres.js";
import { startPrivateRedis } from "./fixtures/privateRedis.js";
import { startStallingProxy } from "./fixtures/stallingProxy.js";
import { dropCacheKeys } from "./fixtures/testConveyor.js";
import { createTestDatabase } from "./fixtures/testDatabase.js";

/** How long each fault took to recover from (fault to every run finished), written for the README. */
const recoveries: Record<string, number> = {};
afterAll(() => {
  mkdirSync("test-artifacts", { recursive: true });
  writeFileSync("test-artifacts/fault-recovery.json", `${JSON.stringify(recoveries, null, 2)}\n`);
});

interface FaultCase {
  /** Where the cluster's database lives and how its processes reach it. */
  options: (databaseUrl: string) => Promise<ClusterOptions> | ClusterOptions;
  /** Strikes once a quarter of the runs have succeeded. */
  inject: (cluster: FaultCluster) => Promise<void>;
}

/**
 * One API ×2, worker ×2 deployment under 3,000 runs and 100 chains; the fault strikes mid-flight;
 * every run must then finish within 60 s with the exact outcome.
 */
async function runFaultCase(name: string, databaseUrl: string, faultCase: FaultCase): Promise<void> {
  const cluster = await FaultCluster.start(await faultCase.options(databaseUrl));
  const streams: { stop(): void }[] = [];
  try {
    const after = await latestEventId(cluster);
    const feeds = openFeeds(cluster, after);
    streams.push(...feeds);
    const load = await enqueueLoad(cluster.client(0), defaultLoad);
    const watches = openWatches(cluster, load);
    streams.push(
      ...watches.runWatches.map((watch) => watch.stream),
      ...watches.flowWatches.map((watch) => watch.stream),
    );
    await untilSucceeded(cluster, Math.floor(defaultLoad.runs / 4));
    const faultAt = Date.now();
    await faultCase.inject(cluster);
    recoveries[name] = await untilAllFinished(cluster, faultAt, 60_000);
    await expectExactOutcome(cluster, load, after, { feeds, ...watches });
  } finally {
    for (const stream of streams) stream.stop();
    // SIGTERM drains: a process that had to be killed failed at its shutdown.
    const undrained = await cluster.stop();
    await dropCacheKeys(cluster.cachePrefix);
    expect(undrained).toEqual([]);
  }
}

/** Runs a case on a database of its own on the shared server. */
async function onSharedServer(name: string, faultCase: FaultCase): Promise<void> {
  const database = await createTestDatabase(`faults_${name}`);
  try {
    await runFaultCase(name, database.url, faultCase);
  } finally {
    await database.drop();
  }
}

const sameServer = (databaseUrl: string): ClusterOptions => ({ databaseUrl });

describe("faults under load: 2 API and 2 worker processes, 3,000 runs and 100 chains", () => {
  it("without a fault, every run succeeds once and every subscriber gets every event", async () => {
    await onSharedServer("none", { options: sameServer, inject: async () => {} });
  }, 240_000);

  it("a worker SIGKILLed mid-run, and its replacement killed within its first heartbeat", async () => {
    await onSharedServer("worker_sigkill", {
      options: sameServer,
      inject: async (cluster) => {
        const [first] = cluster.workers;
        if (first) await cluster.kill(first);
        const replacement = await cluster.spawn("worker");
        await cluster.kill(replacement);
        await cluster.spawn("worker");
      },
    });
  }, 240_000);

  it("every backend of the database terminated, twice, a second apart", async () => {
    await onSharedServer("terminate_backends", {
      options: sameServer,
      inject: async (cluster) => {
        for (const round of [1, 2]) {
          const terminated = await cluster.query<{ n: number }>(
            `select count(*)::int as n from (
               select pg_terminate_backend(pid) from pg_stat_activity
               where datname = current_database() and pid <> pg_backend_pid()) t`,
          );
          expect(terminated[0]?.n).toBeGreaterThan(4);
          if (round === 1) await sleepFor(1_000);
        }
      },
    });
  }, 240_000);

  it("Redis killed and started again", async () => {
    const redis = await startPrivateRedis();
    try {
      await onSharedServer("redis_restart", {
        options: (databaseUrl) => ({ databaseUrl, redisUrl: redis.url }),
        inject: async (cluster) => {
          await redis.kill();
          // Listings are still answered, from Postgres, while Redis is away.
          const listed = await cluster.client(0).runs.list.query({ limit: 5 });
          expect(listed.items).toHaveLength(5);
          await redis.start();
        },
      });
    } finally {
      await redis.kill();
    }
  }, 240_000);

  it("an API process killed while its subscribers are connected, over server-sent events and WebSockets: they resume on the other", async () => {
    await onSharedServer("api_sigkill", {
      options: sameServer,
      inject: async (cluster) => {
        const second = cluster.apis[1];
        if (second) await cluster.kill(second);
      },
    });
  }, 240_000);

  it("the network between a worker and Postgres stalls for 5 s", async () => {
    const proxy = await startStallingProxy({ host: "127.0.0.1", port: 5432 });
    try {
      await onSharedServer("network_stall", {
        options: (databaseUrl) => ({
          databaseUrl,
          workerDatabaseUrl: (index) => (index === 0 ? databaseUrl.replace(":5432/", `:${proxy.port}/`) : databaseUrl),
        }),
        inject: (cluster) => {
          void cluster;
          return proxy.stall(5_000);
        },
      });
    } finally {
      await proxy.close();
    }
  }, 240_000);

  it("Postgres crashes (stopped with -m immediate) and starts again", async () => {
    const postgres = await startPrivatePostgres();
    try {
      const databaseUrl = `${postgres.serverUrl}/conveyor_faults`;
      await ensureDatabase(databaseUrl);
      await runFaultCase("postgres_crash", databaseUrl, {
        options: sameServer,
        inject: async () => {
          postgres.crash();
          postgres.start();
        },
      });
      await dropDatabase(databaseUrl);
    } finally {
      postgres.destroy();
    }
  }, 240_000);
});
