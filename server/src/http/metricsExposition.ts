import { timingSafeEqual } from "node:crypto";
import type pg from "pg";
import type { TokenAuthenticator } from "../auth/tokens.js";
import type { Executor } from "../db/client.js";
import { type EventHub, liveTransports } from "../events/eventHub.js";
import { maxEventId } from "../events/sql/readEvents.js";
import { metrics, registry } from "../metrics/metrics.js";
import { readQueueDepth } from "../stats/sql/readQueueDepth.js";
import type { TaskCatalog } from "../tasks/catalog.js";
import type { RunningWorker } from "../worker/startWorker.js";

/** What the gauges read at each scrape. */
export interface MetricsSources {
  db: Executor;
  /** The tasks this process knows: the queues they declare are exported even when empty. */
  catalog: TaskCatalog;
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

async function refreshGauges({ db, catalog, pool, hub, worker, workerConcurrency }: MetricsSources): Promise<void> {
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
  const depth = new Map((await readQueueDepth(db)).map((row) => [row.queue ?? "", row]));
  // Per-key queues (one per key) come and go with their runs, so their series do too.
  for (const queue of perKeyQueuesShown)
    if (!depth.has(queue)) {
      metrics.queueDepth.remove({ queue, state: "queued" });
      metrics.queueDepth.remove({ queue, state: "running" });
      metrics.queueOldestAge.remove({ queue });
      perKeyQueuesShown.delete(queue);
    }
  for (const queue of depth.keys()) (isPerKeyQueue(catalog, queue) ? perKeyQueuesShown : seenQueues).add(queue);
  // Any other queue's series is set, never deleted: one that drained reads 0, which an alert and
  // an autoscaler can tell from a target that stopped reporting.
  for (const queue of new Set([...declaredQueues(catalog), ...seenQueues, ...perKeyQueuesShown])) {
    const row = depth.get(queue);
    metrics.queueDepth.set({ queue, state: "queued" }, row?.queued ?? 0);
    metrics.queueDepth.set({ queue, state: "running" }, row?.running ?? 0);
    metrics.queueOldestAge.set({ queue }, row?.oldestQueuedSeconds ?? 0);
  }
}

/** Queues other than per-key ones that this process has seen runs in since it started. */
const seenQueues = new Set<string>();
const perKeyQueuesShown = new Set<string>();

/** No queue (''), and the queues tasks name in their defaults. */
function declaredQueues(catalog: TaskCatalog): string[] {
  return ["", ...catalog.all().flatMap((task) => (task.defaults.queue === null ? [] : [task.defaults.queue]))];
}

/** A queue of a task limited per key (`task/key…`, see `keyQueue`): one of many, short-lived. */
function isPerKeyQueue(catalog: TaskCatalog, queue: string): boolean {
  const slash = queue.indexOf("/");
  return slash > 0 && catalog.get(queue.slice(0, slash))?.keyConcurrency != null;
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
