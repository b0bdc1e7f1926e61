import { fileURLToPath } from "node:url";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import { runMigrations } from "graphile-worker";
import type pg from "pg";
import { type AppLogger, toGraphileLogger } from "../logger.js";

const migrationsFolder = fileURLToPath(new URL("../../../drizzle/migrations", import.meta.url));

/** Applies graphile-worker's migrations, then the app's (which may refer to graphile_worker). */
export async function migrateDatabase(pool: pg.Pool, logger: AppLogger): Promise<void> {
  await runMigrations({ pgPool: pool, logger: toGraphileLogger(logger) });
  await migrate(drizzle(pool), { migrationsFolder });
}
