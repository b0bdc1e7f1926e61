import { mkdirSync, writeFileSync } from "node:fs";
import { setTimeout as sleepFor } from "node:timers/promises";
import { isHistoryRewound } from "@conveyor/shared";
import { afterAll, describe, expect, it } from "vitest";
import { dropDatabase, ensureDatabase } from "../server/src/db/ensureDatabase.js";
import type { Collected } from "./fixtures/eventCollector.js";
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
import { type PgBouncer, startPgBouncer } from "./fixtures/pgBouncer.js";
import { startPrivatePostgres } from "./fixtures/privatePostgres.js";
import { startPrivateRedis } from "./fixtures/privateRedis.js";
import { startReplicatedPostgres } from "./fixtures/replicatedPostgres.js";
import { startStallingProxy } from "./fixtures/stallingProxy.js";
import { dropCacheKeys } from "./fixtures/testConveyor.js";
import { createTestDatabase, serverUrl } from "./fixtures/testDatabase.js";

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
  /** Every run must have finished this soon after the fault; 60 s unless said. */
  recoveryWithinMs?: number;
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
    recoveries[name] = await untilAllFinished(cluster, faultAt, faultCase.recoveryWithinMs ?? 60_000);
    await expectExactOutcome(cluster, load, after, { feeds, ...watches });
  } finally {
    for (const stream of streams) stream.stop();
    // SIGTERM drains: a process that had to be killed failed at its shutdown.
    const undrained = await cluster.stop();
    await dropCacheKeys(cluster.cachePrefix);
    expect(undrained).toEqual([]);
  }
}

/** Runs a case with DATABASE_URL through a private PgBouncer in transaction mode, sessions direct. */
async function behindPgBouncer(
  name: string,
  inject: (cluster: FaultCluster, bouncer: PgBouncer) => Promise<void>,
): Promise<void> {
  const bouncer = await startPgBouncer(serverUrl);
  try {
    await onSharedServer(name, {
      options: (databaseUrl) => ({
        databaseUrl: `${bouncer.serverUrl}${new URL(databaseUrl).pathname}`,
        directDatabaseUrl: databaseUrl,
      }),
      inject: (cluster) => inject(cluster, bouncer),
    });
  } finally {
    await bouncer.destroy();
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

  it("PgBouncer in transaction mode in front of DATABASE_URL killed mid-load and started again", async () => {
    await behindPgBouncer("pgbouncer_restart", async (_, bouncer) => {
      await bouncer.kill();
      await bouncer.start();
    });
  }, 240_000);

  it("every backend terminated behind PgBouncer in transaction mode", async () => {
    await behindPgBouncer("pgbouncer_terminate_backends", async (cluster) => {
      for (const round of [1, 2]) {
        await cluster.query(
          "select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()",
        );
        if (round === 1) await sleepFor(1_000);
      }
    });
  }, 240_000);

  it("the primary crashes and its synchronous standby is promoted behind the same address: nothing acknowledged is lost", async () => {
    const replicated = await startReplicatedPostgres({ synchronous: true });
    try {
      const databaseUrl = `${replicated.serverUrl}/conveyor_faults`;
      await ensureDatabase(databaseUrl);
      await runFaultCase("failover_sync", databaseUrl, {
        options: sameServer,
        inject: async () => replicated.failover(),
        recoveryWithinMs: 30_000,
      });
    } finally {
      await replicated.destroy();
    }
  }, 240_000);

  it("the primary crashes with its asynchronous replica behind: lost events are never silent, no event id is handed out twice", async () => {
    const replicated = await startReplicatedPostgres({ synchronous: false });
    const databaseUrl = `${replicated.serverUrl}/conveyor_faults`;
    await ensureDatabase(databaseUrl);
    const cluster = await FaultCluster.start({ databaseUrl });
    const feeds: Collected[] = [];
    try {
      const after = await latestEventId(cluster);
      feeds.push(...openFeeds(cluster, after));
      // Handled from the start: a feed is told of the rewind whenever its API finds it.
      const endings = feeds.map((feed) =>
        feed.completed.then(
          () => null,
          (error: unknown) => error,
        ),
      );
      const load = await enqueueLoad(cluster.client(0), { runs: 2_000, chains: 40 });
      // Every enqueued run reaches the replica; what follows (starts, outcomes, their events) does not.
      await replicated.untilReplicaCaughtUp();
      replicated.holdReplication();
      await untilSucceeded(cluster, 1_000);
      const faultAt = Date.now();
      replicated.failover();
      recoveries.failover_async = await untilAllFinished(cluster, faultAt, 60_000);

      const total = load.runIds.length + load.flows.reduce((sum, flow) => sum + flow.runIds.length, 0);
      const [runs] = await cluster.query<{ succeeded: number; all: number }>(
        "select count(*) filter (where status = 'succeeded')::int as succeeded, count(*)::int as all from runs",
      );
      expect(runs).toEqual({ succeeded: total, all: total });
      const [outcomes] = await cluster.query<{ runs: number; events: number }>(
        "select count(distinct run_id)::int as runs, count(*)::int as events from events where type = 'run.succeeded'",
      );
      expect(outcomes).toEqual({ runs: total, events: total });

      const stored = new Map(
        (
          await cluster.query<{ id: string; type: string; run_id: string | null }>(
            "select id::text as id, type, run_id from events where id > $1",
            [after],
          )
        ).map((row) => [row.id, `${row.type}:${row.run_id ?? ""}`]),
      );
      for (const [index, feed] of feeds.entries()) {
        // Every event it was sent is stored as sent, or was lost with the old primary's last commits.
        const lost = feed.events.filter((event) => !stored.has(String(event.id)));
        const changed = feed.events.filter(
          (event) =>
            stored.has(String(event.id)) && stored.get(String(event.id)) !== `${event.type}:${event.runId ?? ""}`,
        );
        expect({ feed: index, changed }).toEqual({ feed: index, changed: [] });
        expect(lost.length).toBeGreaterThan(0);
        // …and it was told so, rather than resumed as if nothing had happened.
        expect(isHistoryRewound(await endings[index])).toBe(true);
      }
    } finally {
      for (const feed of feeds) feed.stop();
      await cluster.stop();
      await dropCacheKeys(cluster.cachePrefix);
      await replicated.destroy();
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
