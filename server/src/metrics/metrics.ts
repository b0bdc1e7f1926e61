import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/**
 * This process's Prometheus metrics. One registry per process, as Prometheus scrapes processes:
 * counters count what this process did (the API its enqueues, a worker its attempts), and the
 * gauges that read shared state (queue depth) are set by whoever serves `/metrics`.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry });

/** The outcomes an attempt is counted under (`conveyor_attempts_finished_total{outcome}`). */
export const attemptOutcomes = ["succeeded", "failed", "retried", "requeued", "suspended", "deferred"] as const;
export type AttemptOutcomeLabel = (typeof attemptOutcomes)[number];

/** What a read-through cache lookup came to (`conveyor_cache_requests_total{result}`). */
export const cacheResults = ["hit", "miss", "bypass", "error"] as const;
export type CacheResult = (typeof cacheResults)[number];

const taskDurationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export const metrics = {
  runsEnqueued: new Counter({
    name: "conveyor_runs_enqueued_total",
    help: "Runs enqueued (idempotent repeats not counted), by task.",
    labelNames: ["task"] as const,
    registers: [registry],
  }),
  attemptsStarted: new Counter({
    name: "conveyor_attempts_started_total",
    help: "Attempts started by this worker process, by task.",
    labelNames: ["task"] as const,
    registers: [registry],
  }),
  attemptsRefused: new Counter({
    name: "conveyor_attempts_refused_total",
    help: "Attempts started from their job whose claim was refused (run cancelled, paused or finished meanwhile), by task.",
    labelNames: ["task"] as const,
    registers: [registry],
  }),
  attemptsFinished: new Counter({
    name: "conveyor_attempts_finished_total",
    help: "Attempt outcomes recorded by this worker process, by task and outcome (succeeded, failed, retried, requeued).",
    labelNames: ["task", "outcome"] as const,
    registers: [registry],
  }),
  runsCancelled: new Counter({
    name: "conveyor_runs_cancelled_total",
    help: "Runs cancelled (by request, or because a flow run they depend on failed), by task.",
    labelNames: ["task"] as const,
    registers: [registry],
  }),
  attemptDuration: new Histogram({
    name: "conveyor_attempt_duration_seconds",
    help: "Time a task's code ran, per attempt, by task and outcome.",
    labelNames: ["task", "outcome"] as const,
    buckets: taskDurationBuckets,
    registers: [registry],
  }),
  queueWait: new Histogram({
    name: "conveyor_queue_wait_seconds",
    help: "From when a run was due to when an attempt claimed it, by task.",
    labelNames: ["task"] as const,
    buckets: taskDurationBuckets,
    registers: [registry],
  }),
  cacheRequests: new Counter({
    name: "conveyor_cache_requests_total",
    help: "Read-through cache lookups by namespace and result (hit, miss, bypass: Redis unavailable, error).",
    labelNames: ["namespace", "result"] as const,
    registers: [registry],
  }),
  queueDepth: new Gauge({
    name: "conveyor_queue_depth",
    help: "Runs waiting to start (queued, scheduled, retrying) or running, by queue ('' for none) and state.",
    labelNames: ["queue", "state"] as const,
    registers: [registry],
  }),
  queueOldestAge: new Gauge({
    name: "conveyor_queue_oldest_age_seconds",
    help: "Age of the longest-waiting due run per queue ('' for none); 0 when nothing waits.",
    labelNames: ["queue"] as const,
    registers: [registry],
  }),
  workerSlots: new Gauge({
    name: "conveyor_worker_task_slots",
    help: "This worker process's task slots, busy and total.",
    labelNames: ["state"] as const,
    registers: [registry],
  }),
  hubSubscribers: new Gauge({
    name: "conveyor_event_hub_subscribers",
    help: "Live event subscriptions open on this API process.",
    registers: [registry],
  }),
  hubLag: new Gauge({
    name: "conveyor_event_hub_lag_events",
    help: "Newest committed event id minus the newest this API process has delivered (0 while nobody listens).",
    registers: [registry],
  }),
  liveSubscribers: new Gauge({
    name: "conveyor_live_subscribers",
    help: "Live event subscriptions open on this API process, by transport (websocket, sse, local).",
    labelNames: ["transport"] as const,
    registers: [registry],
  }),
  liveEventsDelivered: new Counter({
    name: "conveyor_live_events_delivered_total",
    help: "Events handed to live subscribers on this API process (one per event per subscriber), by transport.",
    labelNames: ["transport"] as const,
    registers: [registry],
  }),
  liveBufferedEvents: new Gauge({
    name: "conveyor_live_buffered_events",
    help: "Events waiting in live subscribers' buffers on this API process for their connections to take them.",
    registers: [registry],
  }),
  liveSubscribersCut: new Counter({
    name: "conveyor_live_subscribers_cut_total",
    help: "Live subscriptions this API process cut off, by transport and reason (slow: its buffer overflowed; it resumes on reconnect).",
    labelNames: ["transport", "reason"] as const,
    registers: [registry],
  }),
  poolConnections: new Gauge({
    name: "conveyor_db_pool_connections",
    help: "This process's Postgres pool: total, idle, and callers waiting for a connection.",
    labelNames: ["state"] as const,
    registers: [registry],
  }),
};

/**
 * Every series a dashboard panel or an alert reads exists from the start, at 0, for every task
 * this process knows and every cache namespace: a rate over "nothing yet" is then 0, not "No
 * data", and a failure share is 0 % before the first failure.
 */
export function seedMetrics(tasks: readonly string[], cacheNamespaces: readonly string[]): void {
  for (const task of tasks) {
    metrics.runsEnqueued.inc({ task }, 0);
    metrics.attemptsStarted.inc({ task }, 0);
    metrics.attemptsRefused.inc({ task }, 0);
    metrics.runsCancelled.inc({ task }, 0);
    metrics.queueWait.zero({ task });
    for (const outcome of attemptOutcomes) {
      metrics.attemptsFinished.inc({ task, outcome }, 0);
      metrics.attemptDuration.zero({ task, outcome });
    }
  }
  for (const namespace of cacheNamespaces)
    for (const result of cacheResults) metrics.cacheRequests.inc({ namespace, result }, 0);
}

/** Counts a read-through cache lookup under one of the results `seedMetrics` starts at 0. */
export function countCacheRequest(namespace: string, result: CacheResult): void {
  metrics.cacheRequests.inc({ namespace, result });
}
