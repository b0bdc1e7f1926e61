import { timingSafeEqual } from "node:crypto";
import type pg from "pg";
import type { TokenAuthenticator } from "../auth/tokens.js";
import type { Executor } from "../db/client.js";
import { type EventHub, liveTransports } from "../events/eventHub.js";
import { maxEventId } from "../events/sql/readEvents.js";
import { metrics, registry } from "../metrics/metrics.js";
import { readQueueDepth } from "../stats/sql/readQueueDepth.js";
import type { RunningWorker } from "../worker/startWorker.js";

/** What the gauges read at each scrape. */
export interface MetricsSources {
  db: Executor;
  pool: pg.Pool;
  hub: EventHub | null;
  worker: RunningWorker | null;
  workerConcurrency: number;
}

/** The Prometheus text exposition of this process's metrics, gauges read now. */
export async function renderMetrics(sources: MetricsSources): Promise<{ contentType: string; body: string }> {
  await refreshGauges(sources);
  return { contentType: registry.contentType, body: await registry.metrics() };
}

async function refreshGauges({ db, pool, hub, worker, workerConcurrency }: MetricsSources): Promise<void> {
  metrics.poolConnections.set({ state: "total" }, pool.totalCount);
  metrics.poolConnections.set({ state: "idle" }, pool.idleCount);
  metrics.poolConnections.set({ state: "waiting" }, pool.waitingCount);
  if (worker) {
    metrics.workerSlots.set({ state: "busy" }, worker.executor.busySlots);
    metrics.workerSlots.set({ state: "total" }, workerConcurrency);
  }
  if (hub) {
    metrics.hubSubscribers.set(hub.subscriberCount);
    const load = hub.load;
    for (const transport of liveTransports) metrics.liveSubscribers.set({ transport }, load.subscribers[transport]);
    metrics.liveBufferedEvents.set(load.bufferedEvents);
    // A hub nobody listens to reads nothing on purpose: that is not lag.
    const lag = hub.subscriberCount > 0 ? Math.max(0, (await maxEventId(db)) - hub.deliveredUpTo) : 0;
    metrics.hubLag.set(lag);
  }
  const depth = await readQueueDepth(db);
  // Queues that emptied must read 0, not keep their last value.
  metrics.queueDepth.reset();
  metrics.queueOldestAge.reset();
  for (const row of depth) {
    const queue = row.queue ?? "";
    metrics.queueDepth.set({ queue, state: "queued" }, row.queued);
    metrics.queueDepth.set({ queue, state: "running" }, row.running);
    metrics.queueOldestAge.set({ queue }, row.oldestQueuedSeconds);
  }
}

/** Who may scrape: the bearer of METRICS_TOKEN, or of any valid API token (viewer and up). */
export async function mayScrape(
  authorization: string | undefined,
  authenticator: TokenAuthenticator,
  metricsToken: string | undefined,
): Promise<boolean> {
  const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? "")?.[1];
  if (!token) return false;
  if (metricsToken && sameSecret(token, metricsToken)) return true;
  return (await authenticator.authenticate(token)) !== null;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
