/** Every cached listing, by namespace. */
export const cacheNamespaces = ["runs", "flows", "schedules", "hotels", "users", "reports"] as const;
export type CacheNamespace = (typeof cacheNamespaces)[number];

/**
 * How long each listing may be served from the cache. Runs and flows change state all the time
 * (workers finish them without telling the API), so they get a micro-cache of at most a second;
 * every other listing is invalidated exactly by the writes below and may live long.
 */
export const cacheTtlMs: Record<CacheNamespace, number> = {
  runs: 1_000,
  flows: 1_000,
  schedules: 300_000,
  hotels: 300_000,
  users: 300_000,
  reports: 1_000,
};

/** Which writes make which listings stale: the one place that says so. */
export const invalidatedBy = {
  enqueue: ["runs"],
  runControl: ["runs", "flows"],
  flowWrite: ["flows", "runs"],
  scheduleWrite: ["schedules"],
  scheduleFired: ["schedules", "runs", "flows"],
  hotelWrite: ["hotels"],
  userWrite: ["users", "runs"],
} as const satisfies Record<string, readonly CacheNamespace[]>;
