import { join } from "node:path";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import { runMigrations } from "graphile-worker";
import type pg from "pg";
import { createDatabase } from "../db/client.js";
import { preparePartitions } from "../history/maintainHistory.js";
import { type AppLogger, toGraphileLogger } from "../logger.js";
import { repositoryRoot } from "../repositoryRoot.js";

const migrationsFolder = join(repositoryRoot, "drizzle", "migrations");

/** Any fixed number: the advisory lock that serializes migrations across processes. */
const migrationLockKey = 4_242_001;

/**
 * Runs `work` while holding the lock that migrations and partition maintenance take, so
 * processes starting together (an API and its workers) and the hourly job take turns.
 */
export async function withSchemaLock<T>(pool: pg.Pool, work: () => Promise<T>): Promise<T> {
  const lock = await pool.connect();
  try {
    await lock.query("select pg_advisory_lock($1)", [migrationLockKey]);
    return await work();
  } finally {
    await lock.query("select pg_advisory_unlock($1)", [migrationLockKey]).catch(() => {});
    lock.release();
  }
}

/**
 * Applies graphile-worker's migrations, then the app's (which may refer to graphile_worker),
 * then creates the history partitions the next days need.
 */
export async function migrateDatabase(pool: pg.Pool, logger: AppLogger): Promise<void> {
  await withSchemaLock(pool, async () => {
    await runMigrations({ pgPool: pool, logger: toGraphileLogger(logger) });
    await migrate(drizzle(pool), { migrationsFolder });
    await preparePartitions(createDatabase(pool), Date.now());
  });
}
