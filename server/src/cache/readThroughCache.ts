import { createHash } from "node:crypto";
import { Redis, type Result } from "ioredis";
import superjson from "superjson";
import type { AppLogger } from "../logger.js";
import { type CacheNamespace, cacheNamespaces } from "./namespaces.js";

export interface CacheOptions {
  redisUrl: string;
  /** Every key starts with this, so several deployments (or test files) can share one Redis. */
  prefix: string;
  logger: AppLogger;
  /** Values larger than this (serialized) are served but not stored. */
  maxValueBytes?: number;
}

export interface NamespaceStats {
  hits: number;
  misses: number;
  /** Redis errors while reading or writing. */
  errors: number;
  /** Requests served straight from Postgres because Redis was unavailable. */
  bypasses: number;
  /** Values not stored because they were over the size limit. */
  oversize: number;
  loads: number;
  loadMs: number;
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

declare module "ioredis" {
  interface RedisCommander<Context> {
    /** See `readScript`. */
    conveyorRead(generationKey: string, valuePrefix: string, hash: string): Result<[string, string | null], Context>;
  }
}

/** Reads the namespace's generation and the value under it in one round trip. */
const readScript = `
local generation = redis.call('GET', KEYS[1]) or '0'
local value = redis.call('GET', ARGV[1] .. generation .. ':' .. ARGV[2])
return {generation, value}`;

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

/**
 * Read-through cache for listings over Redis. A key is namespace + generation + hash of the
 * query; invalidating a namespace increments its generation, so the next read misses without any
 * KEYS or SCAN, and old entries simply expire. Concurrent misses of one key in this process share
 * one loader call. Redis trouble never fails a request: it is logged once per outage, counted, and
 * the loader serves from Postgres until Redis is back (ioredis reconnects by itself).
 */
export class ReadThroughCache {
  readonly #redis: Redis;
  readonly #inFlight = new Map<string, Promise<unknown>>();
  readonly #stats = new Map<CacheNamespace, NamespaceStats>(cacheNamespaces.map((name) => [name, emptyStats()]));
  readonly #maxValueBytes: number;
  #isDown = false;
  /** Times Redis became unavailable, and times a connection became ready, since start. */
  outages = 0;
  connections = 0;

  constructor(private readonly options: CacheOptions) {
    this.#maxValueBytes = options.maxValueBytes ?? 512 * 1024;
    this.#redis = new Redis(options.redisUrl, {
      // Fail fast instead of queueing: a request must never wait for Redis to come back.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 1_000,
      lazyConnect: false,
      retryStrategy: (times) => Math.min(times * 200, 2_000),
    });
    this.#redis.defineCommand("conveyorRead", { numberOfKeys: 1, lua: readScript });
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

  /** The value for `query` in `namespace`, from Redis or (on a miss) from `load`, then stored. */
  async readThrough<T>(namespace: CacheNamespace, query: unknown, ttlMs: number, load: () => Promise<T>): Promise<T> {
    const stats = this.#stats.get(namespace) ?? emptyStats();
    const hash = createHash("sha1").update(stableStringify(query)).digest("base64url");
    const valuePrefix = `${this.options.prefix}:v:${namespace}:`;
    let generation: string | null = null;
    if (this.#redis.status === "ready") {
      try {
        const [storedGeneration, value] = await this.#redis.conveyorRead(
          this.#generationKey(namespace),
          valuePrefix,
          hash,
        );
        generation = storedGeneration;
        if (value !== null) {
          stats.hits += 1;
          return superjson.parse<T>(value);
        }
        stats.misses += 1;
      } catch (error) {
        stats.errors += 1;
        this.#down(error);
      }
    }
    if (generation === null) {
      stats.bypasses += 1;
      // Still connecting at start is not an outage; anything else is, and is reported once.
      if (this.#redis.status !== "connecting" && this.#redis.status !== "connect" && this.#redis.status !== "wait") {
        this.#down(new Error(`Redis connection is ${this.#redis.status}`));
      }
    }

    const flightKey = `${namespace}:${generation ?? "bypass"}:${hash}`;
    const pending = this.#inFlight.get(flightKey);
    if (pending) return pending as Promise<T>;
    const loading = (async () => {
      const started = performance.now();
      try {
        const value = await load();
        stats.loads += 1;
        stats.loadMs += performance.now() - started;
        if (generation !== null) await this.#store(`${valuePrefix}${generation}:${hash}`, value, ttlMs, stats);
        return value;
      } finally {
        this.#inFlight.delete(flightKey);
      }
    })();
    this.#inFlight.set(flightKey, loading);
    return loading;
  }

  async #store(key: string, value: unknown, ttlMs: number, stats: NamespaceStats): Promise<void> {
    const serialized = superjson.stringify(value);
    if (Buffer.byteLength(serialized) > this.#maxValueBytes) {
      stats.oversize += 1;
      return;
    }
    // ±10 % jitter, so entries written together do not all expire in the same instant.
    const ttl = Math.max(1, Math.round(ttlMs * (0.9 + Math.random() * 0.2)));
    try {
      await this.#redis.set(key, serialized, "PX", ttl);
    } catch (error) {
      stats.errors += 1;
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
