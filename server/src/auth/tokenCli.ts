import { parseArgs } from "node:util";
import { roleSchema } from "@conveyor/shared";
import { ConfigError, loadConfig } from "../config/env.js";
import { createDatabase, createPool } from "../db/client.js";
import { ensureDatabase } from "../db/ensureDatabase.js";
import { createLogger } from "../logger.js";
import { migrateDatabase } from "../schema/migrateDatabase.js";
import { createToken } from "./tokens.js";

const usage = "usage: npm run token -- --role <viewer|operator|admin> [--name <name>]";

/** `npm run token`: creates a token from the shell and prints it once. */
async function main(): Promise<void> {
  let values: { role?: string; name?: string };
  try {
    ({ values } = parseArgs({ options: { role: { type: "string" }, name: { type: "string" } } }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${usage}`);
    process.exit(2);
  }
  const role = roleSchema.safeParse(values.role);
  if (!role.success) {
    console.error(`--role: must be viewer, operator or admin\n${usage}`);
    process.exit(2);
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  }
  await ensureDatabase(config.DATABASE_URL);
  const pool = createPool(config.DATABASE_URL, 2);
  try {
    await migrateDatabase(pool, createLogger("warn"));
    const { token, info } = await createToken(createDatabase(pool), {
      name: values.name ?? `${role.data} (shell)`,
      role: role.data,
    });
    console.log(`Created ${info.role} token "${info.name}" (${info.id}). It is shown only this once:\n${token}`);
  } finally {
    await pool.end();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
