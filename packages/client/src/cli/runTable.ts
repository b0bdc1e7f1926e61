import type { RunSummary } from "@conveyor/shared";
import Table from "cli-table3";

function progressCell(run: RunSummary): string {
  if (!run.progress) return "";
  const { current, total, message } = run.progress;
  return [total === null ? `${current}` : `${current}/${total}`, message ?? ""].filter(Boolean).join(" ");
}

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
      progressCell(run),
      run.createdAt.toISOString().replace(/\.\d+Z$/, "Z"),
    ]);
  }
  return table.toString();
}
