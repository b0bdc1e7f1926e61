import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import pg from "pg";
import * as schema from "../../../drizzle/schema.js";

export { schema };
export type Database = NodePgDatabase<typeof schema>;
/** The database or a transaction on it: what every SQL module takes, so callers choose the transaction. */
export type Executor = Pick<Database, "execute" | "select" | "insert" | "update" | "delete" | "transaction">;

/** The drizzle handle over a pool. */
export function createDatabase(pool: pg.Pool): Database {
  return drizzle(pool, { schema });
}

export function createPool(url: string, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max });
  // A client losing its connection (server restart) must not crash the process: the pool
  // discards it and the next query reconnects.
  pool.on("error", () => {});
  pool.on("connect", (client) => client.on("error", () => {}));
  return pool;
}
