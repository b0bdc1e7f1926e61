import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { expect, it } from "vitest";
import type { ProcessRole } from "./fixtures/conveyorProcess.js";
import {
  enqueueLoad,
  FaultCluster,
  type Load,
  latestEventId,
  openFeeds,
  openWatches,
  untilAllFinished,
  untilSucceeded,
} from "./fixtures/faultCluster.js";
import { expectExactOutcome } from "./fixtures/faultOutcome.js";
import { checkOutRelease } from "./fixtures/previousRelease.js";
import { dropCacheKeys } from "./fixtures/testConveyor.js";
import { createTestDatabase } from "./fixtures/testDatabase.js";

/*
 * A rollout as the Kubernetes manifests do it (README, "Deploying on Kubernetes"): the migrations
 * Job first, while the previous release keeps working, then each old process replaced by a new
 * one, old and new side by side on one database in between.
 */

/**
 * The release before migrations 0012 (event ids carry the server's timeline) and 0013
 * (lost_job_sweeps): the upgrade changes a column default every event insert uses and adds a
 * table only the new workers know.
 */
const previousRelease = "4cd7998e7e07401e6a914311d0ae46e3a6c0049d";

const run = promisify(execFile);

async function appliedMigrations(cluster: FaultCluster): Promise<number> {
  const [row] = await cluster.query<{ n: number }>("select count(*)::int as n from drizzle.__drizzle_migrations");
  return row?.n ?? 0;
}

/** This checkout's `npm start -- --migrate`, as the migrations Job runs it. */
async function migrate(databaseUrl: string): Promise<void> {
  await run(process.execPath, ["--import", "tsx", "server/src/main.ts", "--migrate"], {
    env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: "warn" },
  });
}

function merged(...loads: Load[]): Load {
  return { runIds: loads.flatMap((load) => load.runIds), flows: loads.flatMap((load) => load.flows) };
}

it("upgrades under load and rolls the workers back, old and new side by side across the migration: every run once, every subscriber exact", async () => {
  const release = await checkOutRelease(previousRelease);
  const database = await createTestDatabase("rolling_upgrade");
  const cluster = await FaultCluster.start({ databaseUrl: database.url, release: release.dir });
  const streams: { stop(): void }[] = [];
  const retired: { process: string; drained: boolean }[] = [];
  try {
    const before = await appliedMigrations(cluster);
    const after = await latestEventId(cluster);
    const feeds = openFeeds(cluster, after);
    streams.push(...feeds);
    const first = await enqueueLoad(cluster.client(0), { runs: 2_000, chains: 40 });
    const watches = openWatches(cluster, first);
    streams.push(
      ...watches.runWatches.map((watch) => watch.stream),
      ...watches.flowWatches.map((watch) => watch.stream),
    );
    await untilSucceeded(cluster, 500);

    // The migrations Job, while the previous release's API takes more runs and its workers keep
    // claiming and finishing them.
    const [, during] = await Promise.all([
      migrate(database.url),
      enqueueLoad(cluster.client(1), { runs: 1_000, chains: 20 }),
    ]);
    expect(await appliedMigrations(cluster)).toBe(before + 2);

    // Each old process replaced by a new one once the new one is ready, workers first; the
    // second load is enqueued while old and new workers both take runs.
    const current = process.cwd();
    const replace = async (role: ProcessRole, from: string, to: string) => {
      const old = cluster.processes.find((entry) => entry.role === role && entry.release === from);
      if (!old) throw new Error(`no ${role} of ${from} left`);
      await cluster.spawn(role, to);
      retired.push({ process: `${role} ${old.url}`, drained: await cluster.retire(old) });
    };
    await replace("worker", release.dir, current);
    const second = await enqueueLoad(cluster.client(1), { runs: 1_000, chains: 20 });
    await replace("worker", release.dir, current);
    await replace("api", release.dir, current);
    const third = await enqueueLoad(cluster.client(0), { runs: 1_000, chains: 20 });
    await replace("api", release.dir, current);

    // Rolled back: the previous release's workers again, on the schema the new one left.
    await replace("worker", current, release.dir);
    const fourth = await enqueueLoad(cluster.client(1), { runs: 1_000, chains: 20 });
    await replace("worker", current, release.dir);

    await untilAllFinished(cluster, Date.now(), 120_000);
    expect(cluster.processes.map((entry) => `${entry.role} ${entry.release}`).sort()).toEqual([
      `api ${current}`,
      `api ${current}`,
      `worker ${release.dir}`,
      `worker ${release.dir}`,
    ]);
    await expectExactOutcome(cluster, merged(first, during, second, third, fourth), after, { feeds, ...watches });
    // The old processes drained on SIGTERM, as a rollout's grace period expects.
    expect(retired.filter((entry) => !entry.drained)).toEqual([]);
  } finally {
    for (const stream of streams) stream.stop();
    const undrained = await cluster.stop();
    await dropCacheKeys(cluster.cachePrefix);
    await database.drop();
    await release.destroy();
    expect(undrained).toEqual([]);
  }
}, 300_000);
