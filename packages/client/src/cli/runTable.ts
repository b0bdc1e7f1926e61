import type { RunSummary } from "@conveyor/shared";
import Table from "cli-table3";
import { formatProgress, formatTime } from "./formatEvent.js";

/** `conveyor ls`: one row per run, newest first, full ids so they can be pasted into `get`. */
export function formatRunTable(runs: readonly RunSummary[]): string {
  const table = new Table({
    head: ["id", "task", "status", "attempts", "progress", "created"],
    style: { head: [], border: [], compact: true },
  });
  for (const run of runs) {
    table.push([
      run.id,
      run.task,
      run.status,
      `${run.attempts}/${run.maxAttempts}`,
      run.progress ? formatProgress(run.progress) : "",
      formatTime(run.createdAt),
    ]);
  }
  return table.toString();
}
