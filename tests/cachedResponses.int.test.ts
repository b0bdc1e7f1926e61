import { randomBytes } from "node:crypto";
import type { HotelInput } from "@conveyor/shared";
import { afterAll, describe, expect, it, vi } from "vitest";
import { cacheHeader } from "../server/src/cache/cachedResponses.js";
import { enqueueRuns } from "../server/src/runs/service.js";
import { startFileConveyor, startTestConveyor, type TestConveyor } from "./fixtures/testConveyor.js";

/** Two API processes over one database and one cache prefix, as behind a load balancer. */
const env = { CACHE_PREFIX: `test:${randomBytes(4).toString("hex")}` };
const { database, app: first } = await startFileConveyor("cached_responses", { env });
const second = await startTestConveyor(database.url, { worker: false, env });
afterAll(() => second.close());

const hotel = (city: string): HotelInput => ({
  name: "Cache Lodge",
  city,
  country: "Nowhere",
  stars: 3,
  pricePerNightCents: 9_900,
  rooms: 12,
});

/** A GET of one procedure as the tRPC client sends it. */
function get(app: TestConveyor, path: string, input: unknown, token: string | null = app.tokens.viewer) {
  const url = `${app.conveyor.url}/trpc/${path}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`;
  return fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
}

describe("listings answered from the cache over HTTP", () => {
  it("a hit carries the very bytes tRPC answered the miss with, and is counted", async () => {
    const input = { city: "Paris", limit: 20 };
    const miss = await get(first, "hotels.list", input);
    const hitsBefore = (await first.clients.viewer.cache.stats.query()).namespaces.hotels.hits;
    const hit = await get(first, "hotels.list", input);
    expect(miss.status).toBe(200);
    expect(miss.headers.get(cacheHeader)).toBeNull();
    expect(hit.status).toBe(200);
    expect(hit.headers.get(cacheHeader)).toBe("hit");
    expect(hit.headers.get("content-type")).toBe(miss.headers.get("content-type"));
    expect(await hit.text()).toBe(await miss.text());
    expect((await first.clients.viewer.cache.stats.query()).namespaces.hotels.hits).toBe(hitsBefore + 1);
  });

  it("the typed client gets Dates back from a hit, and a Date in the input keys it", async () => {
    const since = new Date(Date.now() - 3_600_000);
    const viaTrpc = await first.clients.viewer.runs.list.query({ createdAfter: since, limit: 5 });
    const viaCache = await first.clients.viewer.runs.list.query({ createdAfter: since, limit: 5 });
    expect(viaCache).toEqual(viaTrpc);
    const hotels = await first.clients.viewer.hotels.list.query({ city: "Paris", limit: 20 });
    expect(hotels.items[0]?.createdAt).toBeInstanceOf(Date);
  });

  it("a batch of cached listings is answered in order; a batch with anything else goes to tRPC", async () => {
    const paris = { json: { city: "Paris", limit: 3 } };
    const rome = { json: { city: "Rome", limit: 3 } };
    const batchUrl = (paths: string, inputs: unknown) =>
      `${first.conveyor.url}/trpc/${paths}?batch=1&input=${encodeURIComponent(JSON.stringify(inputs))}`;
    const headers = { authorization: `Bearer ${first.tokens.viewer}` };
    await fetch(batchUrl("hotels.list,hotels.list", { 0: paris, 1: rome }), { headers });
    const hit = await fetch(batchUrl("hotels.list,hotels.list", { 0: paris, 1: rome }), { headers });
    expect(hit.headers.get(cacheHeader)).toBe("hit");
    const [parisPage, romePage] = (await hit.json()) as {
      result: { data: { json: { items: { city: string }[] } } };
    }[];
    expect(parisPage?.result.data.json.items.map((item) => item.city)).toEqual(["Paris", "Paris", "Paris"]);
    expect(romePage?.result.data.json.items.map((item) => item.city)).toEqual(["Rome", "Rome", "Rome"]);

    const mixed = await fetch(batchUrl("hotels.list,auth.session", { 0: paris }), { headers });
    expect(mixed.headers.get(cacheHeader)).toBeNull();
    const [, session] = (await mixed.json()) as { result: { data: { json: unknown } } }[];
    expect(session?.result.data.json).toEqual({ name: "test viewer", role: "viewer" });
  });

  it("a cached listing is never served without a valid token, and a revoked token loses it at once", async () => {
    const input = { city: "Lisbon", limit: 5 };
    expect((await get(first, "hotels.list", input)).status).toBe(200);
    expect((await get(first, "hotels.list", input)).headers.get(cacheHeader)).toBe("hit");

    const anonymous = await get(first, "hotels.list", input, null);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ error: { json: { data: { code: "UNAUTHORIZED" } } } });
    expect((await get(first, "hotels.list", input, "cv_not-a-real-token")).status).toBe(401);

    const { token, info } = await first.client.tokens.create.mutate({ name: "short-lived", role: "viewer" });
    expect((await get(first, "hotels.list", input, token)).headers.get(cacheHeader)).toBe("hit");
    await first.client.tokens.revoke.mutate({ id: info.id });
    expect((await get(first, "hotels.list", input, token)).status).toBe(401);
  });

  it("bad input is refused naming the field, even next to a cached good one", async () => {
    await get(first, "hotels.list", { city: "Paris", limit: 20 });
    const tooMany = await get(first, "hotels.list", { city: "Paris", limit: 100_000 });
    expect(tooMany.status).toBe(400);
    const { error } = (await tooMany.json()) as { error: { json: { message: string; data: { code: string } } } };
    expect(error.json.data.code).toBe("BAD_REQUEST");
    expect(error.json.message).toMatch(/^limit: /);
    const garbled = await fetch(`${first.conveyor.url}/trpc/hotels.list?input=%7Bnot-json`, {
      headers: { authorization: `Bearer ${first.tokens.viewer}` },
    });
    expect(garbled.status).toBe(400);
  });

  it("a malformed address or input is answered as tRPC answers it, never with a 500", async () => {
    const headers = { authorization: `Bearer ${first.tokens.viewer}` };
    const badEscape = await fetch(`${first.conveyor.url}/trpc/hotels.list%E0%A4%A`, { headers });
    expect(badEscape.status).toBeLessThan(500);
    const badBatch = await fetch(`${first.conveyor.url}/trpc/hotels.list?batch=1&input=%5B1%5D`, { headers });
    expect(badBatch.status).toBeLessThan(500);
  });

  it("a write through one API process shows at once through the other, though both hold copies", async () => {
    const city = `Twin-${randomBytes(3).toString("hex")}`;
    for (const app of [first, second, first, second])
      expect((await get(app, "hotels.list", { city })).status).toBe(200);
    expect((await get(second, "hotels.list", { city })).headers.get(cacheHeader)).toBe("hit");

    const created = await first.client.hotels.create.mutate(hotel(city));
    expect((await second.clients.viewer.hotels.list.query({ city })).items.map((item) => item.id)).toEqual([
      created.id,
    ]);
    await second.client.hotels.update.mutate({ id: created.id, changes: { stars: 5 } });
    expect((await first.clients.viewer.hotels.list.query({ city })).items[0]?.stars).toBe(5);
    await first.client.hotels.delete.mutate({ id: created.id });
    expect((await second.clients.viewer.hotels.list.query({ city })).items).toEqual([]);
  });

  it("the runs micro-cache expires in every process's copy, though nothing invalidated it", async () => {
    const queue = `micro-${randomBytes(3).toString("hex")}`;
    await first.clients.viewer.runs.list.query({ queue });
    // The second process takes its copy from the entry the first stored.
    const before = await get(second, "runs.list", { queue });
    expect(before.headers.get(cacheHeader)).toBe("hit");
    // Written past the API, as a worker or a schedule would: no invalidation.
    const [run] = await enqueueRuns(first.conveyor.db, first.conveyor.services.catalog, [
      { task: "conveyor.noop", input: {}, options: { queue } },
    ]);
    await vi.waitFor(
      async () =>
        expect((await second.clients.viewer.runs.list.query({ queue })).items.map((item) => item.id)).toEqual([
          run?.id,
        ]),
      { timeout: 3_000, interval: 50 },
    );
  });

  it("with Redis gone, listings are answered by tRPC from Postgres", async () => {
    const noRedis = await startTestConveyor(database.url, { worker: false, env: { REDIS_URL: "redis://127.0.0.1:1" } });
    try {
      for (let attempt = 0; attempt < 2; attempt += 1) {
        const response = await get(noRedis, "hotels.list", { city: "Paris", limit: 20 }, noRedis.tokens.viewer);
        expect(response.status).toBe(200);
        expect(response.headers.get(cacheHeader)).toBeNull();
      }
    } finally {
      await noRedis.close();
    }
  });
});
