import type { Pause } from "@conveyor/shared";
import Table from "cli-table3";
import { formatTime } from "./formatEvent.js";

/** `conveyor pauses`: one row per paused task or queue. */
export function formatPauseTable(pauses: readonly Pause[]): string {
  const table = new Table({
    head: ["kind", "name", "paused by", "paused at"],
    style: { head: [], border: [], compact: true },
  });
  for (const pause of pauses) table.push([pause.kind, pause.name, pause.pausedBy, formatTime(pause.pausedAt)]);
  return table.toString();
}
