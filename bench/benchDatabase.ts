import { randomBytes } from "node:crypto";
import { dropDatabase, ensureDatabase } from "../server/src/db/ensureDatabase.js";

/** Read at each call: a section may point the bench at a server of its own. */
const serverUrl = () => process.env.BENCH_DATABASE_SERVER_URL ?? "postgres://postgres@127.0.0.1:5432";

/** A throwaway database per scenario, so one scenario's leftovers never slow the next. */
export async function withBenchDatabase<T>(label: string, work: (url: string) => Promise<T>): Promise<T> {
  const url = `${serverUrl()}/conveyor_bench_${label}_${randomBytes(3).toString("hex")}`;
  await ensureDatabase(url);
  try {
    return await work(url);
  } finally {
    await dropDatabase(url);
  }
}
