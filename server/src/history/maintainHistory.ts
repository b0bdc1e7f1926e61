import type { Executor } from "../db/client.js";
import { ensurePartitions } from "./partitions.js";
import { applyRetention, type RetentionPolicy, type RetentionReport } from "./retention.js";

/** Days of partitions kept ready ahead, so a day's first run never waits on DDL. */
export const partitionDaysAhead = 3;

/** Creates the partitions the next days will write to; run at every start and by the hourly job. */
export async function preparePartitions(db: Executor, now: number): Promise<string[]> {
  return [
    ...(await ensurePartitions(db, "runs", now, partitionDaysAhead)),
    ...(await ensurePartitions(db, "events", now, partitionDaysAhead)),
  ];
}

/** The hourly job: partitions ahead, then retention by dropping partitions. */
export async function maintainHistory(
  db: Executor,
  now: number,
  policy: RetentionPolicy,
): Promise<RetentionReport & { created: string[] }> {
  const created = await preparePartitions(db, now);
  return { created, ...(await applyRetention(db, now, policy)) };
}
