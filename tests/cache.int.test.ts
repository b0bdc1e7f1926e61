import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it, vi } from "vitest";
import { ReadThroughCache } from "../server/src/cache/readThroughCache.js";
import { createLogger } from "../server/src/logger.js";
import { dropCacheKeys, startFileConveyor, startTestConveyor } from "./fixtures/testConveyor.js";

const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const { database, app } = await startFileConveyor("cache");
const redis = new Redis(redisUrl);

afterAll(async () => {
  redis.disconnect();
});

/** A cache of its own over the real Redis, with a counting logger, for the module-level tests. */
function freshCache(options: { redisUrl?: string; maxValueBytes?: number } = {}) {
  const prefix = `test:${randomBytes(4).toString("hex")}`;
  const warnings: string[] = [];
  const logger = createLogger("silent");
  logger.warn = ((_fields: unknown, message?: string) => {
    warnings.push(message ?? "");
  }) as typeof logger.warn;
  const cache = new ReadThroughCache({
    redisUrl: options.redisUrl ?? redisUrl,
    prefix,
    logger,
    ...(options.maxValueBytes ? { maxValueBytes: options.maxValueBytes } : {}),
  });
  const close = async () => {
    await cache.close();
    await dropCacheKeys(prefix);
  };
  return { cache, prefix, warnings, close };
}

async function ready(cache: ReadThroughCache, connections = 1): Promise<void> {
  await vi.waitFor(() => expect(cache.connections).toBeGreaterThanOrEqual(connections), { timeout: 5_000 });
  await vi.waitFor(() => expect(cache.isAvailable).toBe(true), { timeout: 5_000 });
}

describe("the read-through cache", () => {
  it("misses once, then hits, and keeps Dates as Dates", async () => {
    const { cache, close } = freshCache();
    await ready(cache);
    let loads = 0;
    const load = async () => ({ at: new Date("2026-01-02T03:04:05Z"), n: ++loads });
    const first = await cache.readThrough("hotels", { city: "Rome" }, 60_000, load);
    const second = await cache.readThrough("hotels", { city: "Rome" }, 60_000, load);
    expect(first).toEqual(second);
    expect(second.at).toBeInstanceOf(Date);
    expect(loads).toBe(1);
    expect(cache.stats().hotels).toMatchObject({ hits: 1, misses: 1, loads: 1 });
    await close();
  });

  it("treats queries with the same fields in any order as one key", async () => {
    const { cache, close } = freshCache();
    await ready(cache);
    let loads = 0;
    await cache.readThrough("hotels", { city: "Rome", limit: 5 }, 60_000, async () => ++loads);
    await cache.readThrough("hotels", { limit: 5, city: "Rome" }, 60_000, async () => ++loads);
    expect(loads).toBe(1);
    await close();
  });

  it("invalidating a namespace makes its next read miss, without touching other namespaces", async () => {
    const { cache, close } = freshCache();
    await ready(cache);
    let loads = 0;
    await cache.readThrough("hotels", {}, 60_000, async () => ++loads);
    await cache.readThrough("schedules", {}, 60_000, async () => ++loads);
    await cache.invalidate("hotels");
    expect(await cache.readThrough("hotels", {}, 60_000, async () => ++loads)).toBe(3);
    expect(await cache.readThrough("schedules", {}, 60_000, async () => ++loads)).toBe(2);
    await close();
  });

  it("50 concurrent misses of one key make one loader call", async () => {
    const { cache, close } = freshCache();
    await ready(cache);
    let loads = 0;
    let release = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const reads = Array.from({ length: 50 }, () =>
      cache.readThrough("hotels", { page: 1 }, 60_000, async () => {
        loads += 1;
        await gate;
        return "listing";
      }),
    );
    await vi.waitFor(() => expect(loads).toBe(1));
    release();
    expect(await Promise.all(reads)).toEqual(Array(50).fill("listing"));
    expect(loads).toBe(1);
    await close();
  });

  it("entries expire after their TTL", async () => {
    const { cache, prefix, close } = freshCache();
    await ready(cache);
    let loads = 0;
    await cache.readThrough("hotels", { ttl: true }, 50, async () => ++loads);
    const [key] = await redis.keys(`${prefix}:v:hotels:*`);
    // The TTL is the asked one with at most ±10 % jitter.
    const ttl = await redis.pttl(key ?? "");
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(55);
    // Wait on Redis itself: the entry is gone once its key no longer exists.
    await vi.waitFor(async () => expect(await redis.exists(key ?? "")).toBe(0), { timeout: 2_000, interval: 10 });
    expect(await cache.readThrough("hotels", { ttl: true }, 50, async () => ++loads)).toBe(2);
    await close();
  });

  it("serves values over the size limit without storing them", async () => {
    const { cache, prefix, close } = freshCache({ maxValueBytes: 1_000 });
    await ready(cache);
    const big = "x".repeat(5_000);
    expect(await cache.readThrough("hotels", { big: true }, 60_000, async () => big)).toBe(big);
    expect(await redis.keys(`${prefix}:v:*`)).toEqual([]);
    expect(cache.stats().hotels.oversize).toBe(1);
    await close();
  });

  it("with Redis unreachable, serves every read from the loader and logs the outage once", async () => {
    const { cache, warnings, close } = freshCache({ redisUrl: "redis://127.0.0.1:1" });
    await vi.waitFor(() => expect(cache.outages).toBe(1), { timeout: 5_000 });
    let loads = 0;
    for (let n = 0; n < 20; n += 1)
      expect(await cache.readThrough("hotels", { n }, 60_000, async () => ++loads)).toBe(n + 1);
    await cache.invalidate("hotels");
    expect(cache.stats().hotels.bypasses).toBe(20);
    expect(warnings.filter((message) => message.includes("Redis unavailable"))).toHaveLength(1);
    await close();
  });

  it("a connection killed mid-run: reads keep working, and caching resumes by itself", async () => {
    const { cache, warnings, close } = freshCache();
    await ready(cache);
    let loads = 0;
    await cache.readThrough("hotels", { kill: 1 }, 60_000, async () => ++loads);
    const beforeKill = loads;
    await redis.client("KILL", "ID", String(await cache.clientId()));
    // Served either from the entry the first read stored (if the connection is already back) or
    // by exactly one more loader call, never failed: whichever it was, it is the latest load's value.
    const served = await cache.readThrough("hotels", { kill: 1 }, 60_000, async () => ++loads);
    expect(served).toBe(loads);
    expect(loads).toBeLessThanOrEqual(beforeKill + 1);
    // Back without a restart: ioredis reconnects on its own.
    await ready(cache, 2);
    const before = loads;
    await cache.readThrough("hotels", { kill: 2 }, 60_000, async () => ++loads);
    await cache.readThrough("hotels", { kill: 2 }, 60_000, async () => ++loads);
    expect(loads).toBe(before + 1);
    expect(warnings.filter((message) => message.includes("Redis unavailable")).length).toBeLessThanOrEqual(1);
    await close();
  });
});

describe("cached listings over HTTP", () => {
  it("the hotels listing is seeded, paged and filtered by city", async () => {
    const page = await app.clients.viewer.hotels.list.query({ limit: 200 });
    expect(page.items).toHaveLength(200);
    expect(page.nextCursor).not.toBeNull();
    const rome = await app.clients.viewer.hotels.list.query({ city: "Rome", limit: 200 });
    expect(rome.items.length).toBeGreaterThanOrEqual(30);
    expect(rome.items.every((hotel) => hotel.city === "Rome")).toBe(true);
    let total = 0;
    let cursor: string | undefined;
    do {
      const next = await app.clients.viewer.hotels.list.query({ limit: 200, ...(cursor ? { cursor } : {}) });
      total += next.items.length;
      cursor = next.nextCursor ?? undefined;
    } while (cursor);
    expect(total).toBeGreaterThanOrEqual(1_000);
  });

  it("read-your-writes: a listing right after a create, update or delete reflects it", async () => {
    const city = `Testville-${randomBytes(3).toString("hex")}`;
    expect((await app.client.hotels.list.query({ city })).items).toEqual([]);
    const hotel = await app.client.hotels.create.mutate({
      name: "Conveyor Inn",
      city,
      country: "Nowhere",
      stars: 4,
      pricePerNightCents: 12_000,
      rooms: 30,
    });
    expect((await app.client.hotels.list.query({ city })).items.map((item) => item.id)).toEqual([hotel.id]);
    await app.client.hotels.update.mutate({ id: hotel.id, changes: { stars: 5 } });
    expect((await app.client.hotels.list.query({ city })).items[0]?.stars).toBe(5);
    await app.client.hotels.delete.mutate({ id: hotel.id });
    expect((await app.client.hotels.list.query({ city })).items).toEqual([]);
  });

  it("a new run shows in the runs listing as soon as enqueue returns", async () => {
    await app.client.runs.list.query({ task: "conveyor.noop" });
    const { id } = await app.client.runs.enqueue.mutate({ task: "conveyor.noop", input: { fresh: true } });
    const listed = await app.client.runs.list.query({ task: "conveyor.noop" });
    expect(listed.items[0]?.id).toBe(id);
  });

  it("cache.stats reports hits, misses and loader time per namespace", async () => {
    const before = (await app.clients.viewer.cache.stats.query()).namespaces.hotels;
    await app.clients.viewer.hotels.list.query({ city: "Oslo" });
    await app.clients.viewer.hotels.list.query({ city: "Oslo" });
    const stats = await app.clients.viewer.cache.stats.query();
    expect(stats.isAvailable).toBe(true);
    expect(stats.namespaces.hotels.hits).toBe(before.hits + 1);
    expect(stats.namespaces.hotels.misses).toBe(before.misses + 1);
    expect(stats.namespaces.hotels.avgLoadMs).toBeGreaterThan(0);
  });

  it("with Redis on a wrong port, every listing is still served, correctly, from Postgres", async () => {
    const noRedis = await startTestConveyor(database.url, { worker: false, env: { REDIS_URL: "redis://127.0.0.1:1" } });
    try {
      const direct = await app.clients.viewer.hotels.list.query({ city: "Paris", limit: 10 });
      const bypassed = await noRedis.clients.viewer.hotels.list.query({ city: "Paris", limit: 10 });
      expect(bypassed).toEqual(direct);
      expect((await noRedis.clients.viewer.runs.list.query({})).items.length).toBeGreaterThan(0);
      const stats = await noRedis.clients.viewer.cache.stats.query();
      expect(stats.isAvailable).toBe(false);
      expect(stats.namespaces.hotels.bypasses).toBeGreaterThanOrEqual(1);
      expect(stats.outages).toBe(1);
    } finally {
      await noRedis.close();
    }
  });

  it("hotel writes need an operator and refuse bad input naming the field", async () => {
    await expect(
      app.clients.viewer.hotels.create.mutate({
        name: "x",
        city: "y",
        country: "zz",
        stars: 3,
        pricePerNightCents: 1,
        rooms: 1,
      }),
    ).rejects.toMatchObject({ data: { code: "FORBIDDEN" } });
    await expect(
      app.client.hotels.create.mutate({
        name: "x",
        city: "y",
        country: "zz",
        stars: 9,
        pricePerNightCents: 1,
        rooms: 1,
      }),
    ).rejects.toThrow(/^stars: /);
  });
});
