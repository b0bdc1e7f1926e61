import { createHash } from "node:crypto";
import { Redis } from "ioredis";
import { LRUCache } from "lru-cache";
import superjson from "superjson";
import type { AppLogger } from "../logger.js";
import { countCacheRequest } from "../metrics/metrics.js";
import type { NamespaceStats } from "./namespaceStats.js";
import { type CacheNamespace, cacheNamespaces } from "./namespaces.js";

export interface CacheOptions {
  redisUrl: string;
  /** Every key starts with this, so several deployments (or test files) can share one Redis. */
  prefix: string;
  logger: AppLogger;
  /** Values larger than this (serialized) are served but not stored. */
  maxValueBytes?: number;
  /** Memory for this process's copies of stored values, so a hit need not fetch the value. */
  localMaxBytes?: number;
}

const emptyStats = (): NamespaceStats => ({
  hits: 0,
  misses: 0,
  errors: 0,
  bypasses: 0,
  oversize: 0,
  loads: 0,
  loadMs: 0,
});

const localCopyIsCurrent = 1;

/** The Lua command the cache defines on its connection (see `readScript`). */
interface CacheCommands {
  conveyorRead(
    generationKey: string,
    valuePrefix: string,
    hash: string,
    localGeneration: string,
  ): Promise<[generation: string, value?: string | typeof localCopyIsCurrent, ttlMs?: number]>;
}

/**
 * Reads the namespace's generation and the value stored under it in one round trip. When this
 * process already holds the value under that generation (ARGV[3]) and the entry still exists, it
 * answers 1 instead of the value, so the value crosses the wire only to a process that lacks it;
 * with the value comes its remaining TTL. A missing value ends the reply early.
 */
const readScript = `
local generation = redis.call('GET', KEYS[1]) or '0'
local key = ARGV[1] .. generation .. ':' .. ARGV[2]
if generation == ARGV[3] then
  if redis.call('EXISTS', key) == 1 then return {generation, ${localCopyIsCurrent}} end
  return {generation}
end
local value = redis.call('GET', key)
if not value then return {generation} end
return {generation, value, redis.call('PTTL', key)}`;

interface LocalCopy {
  generation: string;
  serialized: string;
}

interface Lookup {
  /** The namespace's generation, or null when Redis could not be asked. */
  generation: string | null;
  /** The value stored for the query under that generation, serialized with the API's transformer. */
  serialized: string | null;
}

/** Canonical JSON: object keys sorted, so `{a,b}` and `{b,a}` are the same query. */
function stableStringify(value: unknown): string {
  if (value === undefined) return "null";
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${stableStringify(item)}`).join(",")}}`;
}

function queryHash(query: unknown): string {
  return createHash("sha1").update(stableStringify(query)).digest("base64url");
}

/**
 * Read-through cache for listings over Redis. A key is namespace + generation + hash of the
 * query; invalidating a namespace increments its generation, so the next read misses without any
 * KEYS or SCAN, and old entries simply expire. Concurrent misses of one key in this process share
 * one loader call. Redis trouble never fails a request: it is logged once per outage, counted, and
 * the loader serves from Postgres until Redis is back (ioredis reconnects by itself).
 */
export class ReadThroughCache {
  readonly #redis: Redis & CacheCommands;
  readonly #inFlight = new Map<string, Promise<unknown>>();
  readonly #stats = new Map<CacheNamespace, NamespaceStats>(cacheNamespaces.map((name) => [name, emptyStats()]));
  readonly #maxValueBytes: number;
  /**
   * Values this process has stored or fetched, by namespace and query hash. A copy is served only
   * after Redis confirms, in the same round trip as always, that its generation is current and its
   * entry still exists: every process sees every invalidation and expiry at once, and the copy only
   * spares fetching and transferring the value.
   */
  readonly #local: LRUCache<string, LocalCopy>;
  #isDown = false;
  /** Times Redis became unavailable, and times a connection became ready, since start. */
  outages = 0;
  connections = 0;

  constructor(private readonly options: CacheOptions) {
    this.#maxValueBytes = options.maxValueBytes ?? 512 * 1024;
    this.#local = new LRUCache<string, LocalCopy>({
      maxSize: options.localMaxBytes ?? 64 * 1024 * 1024,
      // UTF-16 code units, near enough to bytes for JSON.
      sizeCalculation: (copy) => copy.serialized.length + 64,
    });
    const redis = new Redis(options.redisUrl, {
      // Fail fast instead of queueing: a request must never wait for Redis to come back.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 1_000,
      lazyConnect: false,
      retryStrategy: (times) => Math.min(times * 200, 2_000),
    });
    redis.defineCommand("conveyorRead", { numberOfKeys: 1, lua: readScript });
    // defineCommand adds the method at run time; its type is declared here.
    this.#redis = redis as Redis & CacheCommands;
    this.#redis.on("error", (error: Error) => this.#down(error));
    this.#redis.on("ready", () => {
      this.connections += 1;
      if (this.#isDown) options.logger.info("cache: Redis is back; caching resumed");
      this.#isDown = false;
    });
  }

  #down(error: unknown): void {
    if (this.#isDown) return;
    this.#isDown = true;
    this.outages += 1;
    this.options.logger.warn({ err: error }, "cache: Redis unavailable; serving from Postgres until it returns");
  }

  #generationKey(namespace: CacheNamespace): string {
    return `${this.options.prefix}:gen:${namespace}`;
  }

  #valuePrefix(namespace: CacheNamespace): string {
    return `${this.options.prefix}:v:${namespace}:`;
  }

  /** The value for `query` in `namespace`, from the cache or (on a miss) from `load`, then stored. */
  async readThrough<T>(namespace: CacheNamespace, query: unknown, ttlMs: number, load: () => Promise<T>): Promise<T> {
    const stats = this.#stats.get(namespace) ?? emptyStats();
    const hash = queryHash(query);
    const { generation, serialized } = await this.#lookup(namespace, hash, stats);
    if (serialized !== null) {
      stats.hits += 1;
      countCacheRequest(namespace, "hit");
      return superjson.parse<T>(serialized);
    }
    if (generation === null) stats.bypasses += 1;
    else stats.misses += 1;
    countCacheRequest(namespace, generation === null ? "bypass" : "miss");

    const flightKey = `${namespace}:${generation ?? "bypass"}:${hash}`;
    const pending = this.#inFlight.get(flightKey);
    if (pending) return pending as Promise<T>;
    const loading = (async () => {
      const started = performance.now();
      try {
        const value = await load();
        stats.loads += 1;
        stats.loadMs += performance.now() - started;
        if (generation !== null) await this.#store(namespace, hash, generation, value, ttlMs, stats);
        return value;
      } finally {
        this.#inFlight.delete(flightKey);
      }
    })();
    this.#inFlight.set(flightKey, loading);
    return loading;
  }

  /**
   * The stored value for `query`, still serialized with the API's transformer, or null when there
   * is none (or Redis is unavailable): lets the HTTP layer answer a hit without parsing and
   * re-serializing it. A null is not counted as a miss; the read-through that follows counts it.
   */
  async readSerialized(namespace: CacheNamespace, query: unknown): Promise<string | null> {
    if (this.#redis.status !== "ready") return null;
    const stats = this.#stats.get(namespace) ?? emptyStats();
    const { serialized } = await this.#lookup(namespace, queryHash(query), stats);
    if (serialized !== null) {
      stats.hits += 1;
      countCacheRequest(namespace, "hit");
    }
    return serialized;
  }

  async #lookup(namespace: CacheNamespace, hash: string, stats: NamespaceStats): Promise<Lookup> {
    if (this.#redis.status === "ready") {
      const localKey = `${namespace}:${hash}`;
      const local = this.#local.get(localKey);
      try {
        const [generation, value, ttlMs] = await this.#redis.conveyorRead(
          this.#generationKey(namespace),
          this.#valuePrefix(namespace),
          hash,
          local?.generation ?? "",
        );
        if (value === localCopyIsCurrent && local) return { generation, serialized: local.serialized };
        if (typeof value !== "string") return { generation, serialized: null };
        this.#local.set(localKey, { generation, serialized: value }, { ttl: Math.max(1, ttlMs ?? 1) });
        return { generation, serialized: value };
      } catch (error) {
        stats.errors += 1;
        countCacheRequest(namespace, "error");
        this.#down(error);
        return { generation: null, serialized: null };
      }
    }
    // Still connecting at start is not an outage; anything else is, and is reported once.
    if (this.#redis.status !== "connecting" && this.#redis.status !== "connect" && this.#redis.status !== "wait") {
      this.#down(new Error(`Redis connection is ${this.#redis.status}`));
    }
    return { generation: null, serialized: null };
  }

  async #store(
    namespace: CacheNamespace,
    hash: string,
    generation: string,
    value: unknown,
    ttlMs: number,
    stats: NamespaceStats,
  ): Promise<void> {
    const serialized = superjson.stringify(value);
    if (Buffer.byteLength(serialized) > this.#maxValueBytes) {
      stats.oversize += 1;
      return;
    }
    // ±10 % jitter, so entries written together do not all expire in the same instant.
    const ttl = Math.max(1, Math.round(ttlMs * (0.9 + Math.random() * 0.2)));
    try {
      await this.#redis.set(`${this.#valuePrefix(namespace)}${generation}:${hash}`, serialized, "PX", ttl);
      this.#local.set(`${namespace}:${hash}`, { generation, serialized }, { ttl });
    } catch (error) {
      stats.errors += 1;
      countCacheRequest(namespace, "error");
      this.#down(error);
    }
  }

  /** Makes every cached entry of these namespaces stale at once: the next read of each misses. */
  async invalidate(...namespaces: CacheNamespace[]): Promise<void> {
    if (this.#redis.status !== "ready") return;
    try {
      const pipeline = this.#redis.pipeline();
      for (const namespace of namespaces) pipeline.incr(this.#generationKey(namespace));
      await pipeline.exec();
    } catch (error) {
      for (const namespace of namespaces) {
        const stats = this.#stats.get(namespace);
        if (stats) stats.errors += 1;
      }
      this.#down(error);
    }
  }

  stats(): Record<CacheNamespace, NamespaceStats & { hitRate: number; avgLoadMs: number }> {
    return Object.fromEntries(
      [...this.#stats].map(([namespace, stats]) => [
        namespace,
        {
          ...stats,
          hitRate: stats.hits + stats.misses === 0 ? 0 : stats.hits / (stats.hits + stats.misses),
          avgLoadMs: stats.loads === 0 ? 0 : stats.loadMs / stats.loads,
        },
      ]),
    ) as Record<CacheNamespace, NamespaceStats & { hitRate: number; avgLoadMs: number }>;
  }

  get isAvailable(): boolean {
    return this.#redis.status === "ready";
  }

  /** The Redis connection's client id, so tests can cut it with CLIENT KILL. */
  async clientId(): Promise<number> {
    return Number(await this.#redis.client("ID"));
  }

  async close(): Promise<void> {
    this.#redis.disconnect();
  }
}
