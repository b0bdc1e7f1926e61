import autocannon from "autocannon";
import { enqueueRuns } from "../server/src/runs/service.js";
import { dropCacheKeys } from "../tests/fixtures/testConveyor.js";
import { type BenchConveyor, withBenchConveyor } from "./benchConveyor.js";

export interface LoadResult {
  requests_per_s: number;
  p50_ms: number;
  p99_ms: number;
}

const seconds = Number(process.env.BENCH_CACHE_SECONDS ?? 5);

async function load(url: string, token: string): Promise<LoadResult> {
  // The load comes from a worker thread, as from another client: it must not queue behind the
  // server on the same event loop.
  const options = { url, connections: 20, workers: 1, headers: { authorization: `Bearer ${token}` } };
  // A discarded warm-up, so neither side pays for the JIT or cold pools in its figures.
  await autocannon({ ...options, duration: 1 });
  const result = await autocannon({ ...options, duration: seconds });
  return {
    requests_per_s: Math.round(result.requests.average),
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
  };
}

function listingUrl(base: string, path: string, input: unknown): string {
  return `${base}/trpc/${path}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`;
}

/**
 * `hotels.list` and `runs.list` over HTTP under load (autocannon, 20 connections), once through
 * the Redis cache and once with the cache unreachable (every request from Postgres), same process.
 * The load repeats one query, so after the first request the cached side only sees hits.
 */
export async function cacheComparison(databaseUrl: string) {
  const prefix = `bench:${process.pid}`;
  const results: Record<string, { cached: LoadResult; uncached: LoadResult; ratio: number }> = {};
  // Two APIs in this process over one database, one with Redis and one without; the first one's
  // viewer token is good on both. Whichever fails to start or fails later, both end up closed.
  const withApi = <T>(redisUrl: string, work: (api: BenchConveyor) => Promise<T>) =>
    withBenchConveyor(
      databaseUrl,
      {
        env: { LOG_LEVEL: "error", REDIS_URL: redisUrl, CACHE_PREFIX: prefix },
        api: true,
        worker: false,
        role: "viewer",
      },
      work,
    );
  try {
    await withApi(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", (cached) =>
      withApi("redis://127.0.0.1:1", async (uncached) => {
        for (let from = 0; from < 2_000; from += 1_000) {
          await enqueueRuns(
            cached.conveyor.db,
            cached.conveyor.services.catalog,
            Array.from({ length: 1_000 }, (_, n) => ({ task: "conveyor.noop", input: { n: from + n } })),
          );
        }
        const listings = {
          "hotels.list": { path: "hotels.list", input: { city: "Paris", limit: 50 } },
          "runs.list": { path: "runs.list", input: { limit: 50 } },
        };
        for (const [name, { path, input }] of Object.entries(listings)) {
          const withCache = await load(listingUrl(cached.url, path, input), cached.token);
          const withoutCache = await load(listingUrl(uncached.url, path, input), cached.token);
          results[name] = {
            cached: withCache,
            uncached: withoutCache,
            ratio: Math.round((withCache.requests_per_s / withoutCache.requests_per_s) * 100) / 100,
          };
        }
      }),
    );
  } finally {
    await dropCacheKeys(prefix);
  }
  return results;
}
