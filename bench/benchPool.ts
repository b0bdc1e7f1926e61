import pg from "pg";
import { workerSettings } from "./workerSettings.js";

/** A pool sized like the worker's, with the error handlers graphile-worker asks for. */
export function createBenchPool(url: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: workerSettings.concurrency + 4 });
  pool.on("error", () => {});
  pool.on("connect", (client) => client.on("error", () => {}));
  return pool;
}
