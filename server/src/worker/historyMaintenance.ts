import type { CronItem, Task } from "graphile-worker";
import type pg from "pg";
import type { Database } from "../db/client.js";
import { maintainHistory } from "../history/maintainHistory.js";
import type { AppLogger } from "../logger.js";
import { withSchemaLock } from "../schema/migrateDatabase.js";

const maintenanceTaskName = "conveyor.history.maintain";

/** Hourly, on one worker of the cluster (graphile-worker's cron fires each item once). */
export const maintenanceCronItem: CronItem = {
  task: maintenanceTaskName,
  match: "17 * * * *",
  identifier: maintenanceTaskName,
  options: { backfillPeriod: 0 },
};

/**
 * The graphile-worker task that keeps the history's partitions: creates the coming days' and drops
 * those past retention, under the schema lock migrations take.
 */
export function historyMaintenanceTask(options: {
  directPool: pg.Pool;
  db: Database;
  succeededRetentionMs: number;
  eventRetentionMs: number;
  logger: AppLogger;
}): Record<string, Task> {
  const maintain: Task = async () => {
    const report = await withSchemaLock(options.directPool, () =>
      maintainHistory(options.db, Date.now(), {
        succeededRetentionMs: options.succeededRetentionMs,
        eventRetentionMs: options.eventRetentionMs,
      }),
    );
    if (report.created.length + report.runPartitions.length + report.eventPartitionsDropped.length > 0) {
      options.logger.info(report, "maintained the history partitions");
    }
  };
  return { [maintenanceTaskName]: maintain };
}
