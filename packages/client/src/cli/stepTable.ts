import type { RunStep } from "@conveyor/shared";
import Table from "cli-table3";
import { formatTime } from "./formatEvent.js";

/** What a step waits for: the event (and the part of its payload it must contain), or a sleep's end. */
function waitingFor(step: RunStep): string {
  if (step.eventName) return step.match ? `${step.eventName} ${JSON.stringify(step.match)}` : step.eventName;
  return "";
}

/** `conveyor runs steps`: one row per durable step, in the order the run reached them. */
export function formatStepTable(steps: readonly RunStep[]): string {
  const table = new Table({
    head: ["name", "kind", "status", "event", "until", "attempt", "started", "finished"],
    style: { head: [], border: [], compact: true },
  });
  for (const step of steps) {
    table.push([
      step.name,
      step.kind,
      step.status,
      waitingFor(step),
      step.waitUntil ? formatTime(step.waitUntil) : "",
      String(step.attempt),
      formatTime(step.startedAt),
      step.finishedAt ? formatTime(step.finishedAt) : "",
    ]);
  }
  return table.toString();
}
