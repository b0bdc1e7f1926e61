import { fileURLToPath } from "node:url";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import { runMigrations } from "graphile-worker";
import type pg from "pg";
import { type AppLogger, toGraphileLogger } from "../logger.js";

const migrationsFolder = fileURLToPath(new URL("../../../drizzle/migrations", import.meta.url));

/** Any fixed number: the advisory lock that serializes migrations across processes. */
const migrationLockKey = 4_242_001;

/**
 * Applies graphile-worker's migrations, then the app's (which may refer to graphile_worker).
 * Processes starting together (an API and its workers) take turns instead of racing.
 */
export async function migrateDatabase(pool: pg.Pool, logger: AppLogger): Promise<void> {
  const lock = await pool.connect();
  try {
    await lock.query("select pg_advisory_lock($1)", [migrationLockKey]);
    await runMigrations({ pgPool: pool, logger: toGraphileLogger(logger) });
    await migrate(drizzle(pool), { migrationsFolder });
  } finally {
    await lock.query("select pg_advisory_unlock($1)", [migrationLockKey]).catch(() => {});
    lock.release();
  }
}
