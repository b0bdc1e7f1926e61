import { sql } from "drizzle-orm";
import type { Executor } from "../db/client.js";
import type { EventHub } from "../events/eventHub.js";
import { resolvesWithin } from "../resolvesWithin.js";
import type { RunningWorker, WorkerHealth } from "../worker/startWorker.js";

/** What a process's health depends on: its database always, its event listener and worker when it has them. */
export interface HealthSources {
  db: Executor;
  hub: EventHub | null;
  worker: RunningWorker | null;
}

export interface HealthReport {
  status: "ok" | "unavailable";
  database: "ok" | "unreachable";
  /** API role: whether its LISTEN connection for live events is up. */
  events?: "listening" | "reconnecting";
  /** Worker role: its state, id and last heartbeat. */
  worker?: WorkerHealth;
}

/** A stalled connection must not stall the probe: past this, the database counts as unreachable. */
const databaseProbeTimeoutMs = 2_000;

/** The truth about a process: ok only when the database answers and every role it runs can work. */
export async function checkHealth(sources: HealthSources): Promise<HealthReport> {
  const isDatabaseUp = await resolvesWithin(sources.db.execute(sql`select 1`), databaseProbeTimeoutMs);
  const report: HealthReport = { status: "ok", database: isDatabaseUp ? "ok" : "unreachable" };
  let isOk = isDatabaseUp;
  if (sources.hub) {
    report.events = sources.hub.isListening ? "listening" : "reconnecting";
    isOk &&= sources.hub.isListening;
  }
  if (sources.worker) {
    report.worker = sources.worker.health();
    isOk &&= report.worker.state === "running";
  }
  report.status = isOk ? "ok" : "unavailable";
  return report;
}
