import { once } from "node:events";
import { type LiveEvent, limits, sessionCookieName } from "@conveyor/shared";
import superjson from "superjson";
import { describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { createToken, revokeToken } from "../server/src/auth/tokens.js";
import { metrics } from "../server/src/metrics/metrics.js";
import { resolvesWithin } from "../server/src/resolvesWithin.js";
import { collect, untilReceived } from "./fixtures/eventCollector.js";
import { createApiClient, isFinished, latestEventId, startFileConveyor, waitForRun } from "./fixtures/testConveyor.js";

// A small buffer, so a stalled subscriber overflows it within a few megabytes of events.
const bufferEvents = 100;
// Few task slots: its runs only write events, and a small pool leaves Postgres connections to the files beside it.
const { database, app } = await startFileConveyor("live_socket", {
  env: { LIVE_BUFFER_EVENTS: String(bufferEvents), WORKER_CONCURRENCY: "4" },
});
const base = app.conveyor.url ?? "";
const socketUrl = `${base.replace(/^http/, "ws")}/trpc`;

/** The server's sockets: what a client that went away must no longer hold. */
const serverSockets = () => new Set(app.conveyor.http?.websocketServer.clients ?? []);
const openSockets = () => serverSockets().size;

interface RawSocket {
  socket: WebSocket;
  send(message: unknown): void;
  /** The next message the server sent, parsed (PONG and PING aside). */
  next(): Promise<Record<string, unknown>>;
  closed: Promise<{ code: number; reason: string }>;
}

/** A WebSocket speaking tRPC's protocol by hand, to send what a well-behaved client never would. */
async function openRawSocket(
  options: { token?: string; cookie?: string; origin?: string; query?: string } = {},
): Promise<RawSocket> {
  const headers: Record<string, string> = {};
  if (options.cookie) headers.cookie = `${sessionCookieName}=${options.cookie}`;
  if (options.origin) headers.origin = options.origin;
  const socket = new WebSocket(`${socketUrl}${options.query ?? ""}`, { headers });
  const queue: Record<string, unknown>[] = [];
  let wake = () => {};
  socket.on("message", (data) => {
    const text = String(data);
    if (text === "PONG" || text === "PING") return;
    queue.push(JSON.parse(text) as Record<string, unknown>);
    wake();
  });
  const closed = once(socket, "close").then(([code, reason]) => ({ code: Number(code), reason: String(reason) }));
  await once(socket, "open");
  return {
    socket,
    send: (message) => socket.send(typeof message === "string" ? message : JSON.stringify(message)),
    next: async () => {
      while (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      return queue.shift() as Record<string, unknown>;
    },
    closed,
  };
}

const subscribeMessage = (id: number, path: string, input: unknown, lastEventId?: string) => ({
  id,
  method: "subscription",
  params: { path, input: superjson.serialize(input), ...(lastEventId ? { lastEventId } : {}) },
});

/** The error a message carries: its tRPC code and text. */
function errorOf(message: Record<string, unknown>): { code: unknown; message: unknown } {
  const error = superjson.deserialize(message.error as never) as { message: string; data: { code: string } };
  return { code: error.data.code, message: error.message };
}

async function cutCount(): Promise<number> {
  const { values } = await metrics.liveSubscribersCut.get();
  return values.find((value) => value.labels.transport === "websocket" && value.labels.reason === "slow")?.value ?? 0;
}

describe("tRPC over a WebSocket", () => {
  it("carries every subscription of a client on one socket, each resuming after its last event", async () => {
    const client = createApiClient(base, app.tokens.viewer, { transport: "websocket" });
    const { id } = await app.client.runs.enqueue.mutate({ task: "conveyor.sleep", input: { ms: 200 } });
    const before = openSockets();
    const watch = collect((handlers) => client.runs.watch.subscribe({ id }, handlers));
    const feed = collect((handlers) => client.events.feed.subscribe({ task: "conveyor.sleep" }, handlers));
    await watch.completed;
    expect(watch.events.at(-1)?.type).toBe("run.succeeded");
    expect(openSockets() - before).toBe(1);
    // Resuming after its first event gives exactly the rest.
    const first = watch.ids[0] ?? "0";
    const resumed = collect((handlers) => client.runs.watch.subscribe({ id, lastEventId: first }, handlers));
    await resumed.completed;
    expect(resumed.ids).toEqual(watch.ids.slice(1));
    feed.stop();
  });

  it("authenticates by the token in the connection parameters, or by the session cookie from this origin only", async () => {
    const { id } = await app.client.runs.enqueue.mutate({ task: "conveyor.noop", input: {} });
    const byParams = await openRawSocket({ query: "?connectionParams=1" });
    byParams.send({ method: "connectionParams", data: { token: app.tokens.viewer } });
    byParams.send(subscribeMessage(1, "runs.watch", { id }));
    expect(await byParams.next()).toMatchObject({ id: 1, result: { type: "started" } });
    byParams.socket.close();

    const byCookie = await openRawSocket({ cookie: app.tokens.viewer, origin: base });
    byCookie.send(subscribeMessage(1, "runs.watch", { id }));
    expect(await byCookie.next()).toMatchObject({ id: 1, result: { type: "started" } });
    byCookie.socket.close();

    // Another site's page cannot use a signed-in browser's cookie.
    const crossSite = await openRawSocket({ cookie: app.tokens.viewer, origin: "https://elsewhere.example" });
    crossSite.send(subscribeMessage(1, "runs.watch", { id }));
    expect(errorOf(await crossSite.next())).toMatchObject({ code: "UNAUTHORIZED" });
    crossSite.socket.close();

    const anonymous = await openRawSocket();
    anonymous.send(subscribeMessage(1, "events.feed", {}));
    expect(errorOf(await anonymous.next())).toMatchObject({ code: "UNAUTHORIZED" });
    anonymous.socket.close();
  });

  it("checks the role for each call: a viewer cannot enqueue, and a revoked token opens nothing new", async () => {
    const { token, info } = await createToken(app.conveyor.db, { name: "socket viewer", role: "viewer" });
    const viewer = await openRawSocket({ query: "?connectionParams=1" });
    viewer.send({ method: "connectionParams", data: { token } });
    const countRuns = async () => (await app.conveyor.pool.query("select count(*)::int as n from runs")).rows[0]?.n;
    const runsBefore = await countRuns();
    viewer.send({
      id: 1,
      method: "mutation",
      params: { path: "runs.enqueue", input: superjson.serialize({ task: "conveyor.noop", input: {} }) },
    });
    const refused = errorOf(await viewer.next());
    expect(refused.code).toBe("FORBIDDEN");
    expect(refused.message).toMatch(/operator role/);
    expect(await countRuns()).toBe(runsBefore);

    viewer.send(subscribeMessage(2, "events.feed", {}));
    expect(await viewer.next()).toMatchObject({ id: 2, result: { type: "started" } });
    await revokeToken(app.conveyor.db, info.id);
    app.conveyor.services.authenticator.forgetAll();
    viewer.send(subscribeMessage(3, "events.feed", {}));
    expect(errorOf(await viewer.next())).toMatchObject({ code: "UNAUTHORIZED" });
    viewer.socket.close();
  });

  it("answers malformed messages, unknown procedures and bad input with clear errors, and keeps serving", async () => {
    const socket = await openRawSocket({ query: "?connectionParams=1" });
    socket.send({ method: "connectionParams", data: { token: app.tokens.viewer } });
    socket.send("{ not json");
    expect(errorOf(await socket.next())).toMatchObject({ code: "PARSE_ERROR" });
    socket.send(subscribeMessage(1, "runs.nonexistent", {}));
    expect(errorOf(await socket.next())).toMatchObject({ code: "NOT_FOUND" });
    socket.send(subscribeMessage(2, "runs.watch", { id: "not-a-uuid" }));
    const badInput = errorOf(await socket.next());
    expect(badInput.code).toBe("BAD_REQUEST");
    expect(badInput.message).toMatch(/^id: /);
    socket.send(subscribeMessage(3, "events.feed", { lastEventId: "x" }));
    expect(errorOf(await socket.next()).message).toMatch(/lastEventId: must be an event id/);
    // The same socket still works.
    socket.send(subscribeMessage(4, "events.feed", {}));
    expect(await socket.next()).toMatchObject({ id: 4, result: { type: "started" } });
    socket.socket.close();
  });

  it("closes a socket that sends a message over the size limit, and nothing else notices", async () => {
    const socket = await openRawSocket({ query: "?connectionParams=1" });
    socket.send({ method: "connectionParams", data: { token: app.tokens.viewer } });
    socket.send(subscribeMessage(1, "events.feed", { task: "x".repeat(limits.socketMessageBytes) }));
    expect((await socket.closed).code).toBe(1009);
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
  });
});

describe("a subscriber that stops reading", () => {
  it("is cut off once its buffer overflows, frees what it held, and resumes exactly where it stopped", async () => {
    const start = await latestEventId(app.conveyor.db);
    const socketsBefore = serverSockets();
    const cutsBefore = await cutCount();
    const stalled = await openRawSocket({ query: "?connectionParams=1" });
    const [serverSide] = [...serverSockets()].filter((socket) => !socketsBefore.has(socket));
    if (!serverSide) throw new Error("the server holds no socket for the new client");
    const serverSideClosed = once(serverSide, "close");
    const received: number[] = [];
    stalled.socket.on("message", (data) => {
      const message = JSON.parse(String(data)) as { result?: { type: string; data?: unknown } };
      if (message.result?.type !== "data") return;
      const { data: events } = superjson.deserialize(message.result.data as never) as { data: LiveEvent[] };
      received.push(...events.map((event) => event.id));
    });
    stalled.send({ method: "connectionParams", data: { token: app.tokens.viewer } });
    stalled.send(subscribeMessage(1, "events.feed", { lastEventId: start }));
    expect(await stalled.next()).toMatchObject({ id: 1, result: { type: "started" } });
    // It stops reading: its socket's buffers fill, then the hub's buffer for it.
    stalled.socket.pause();

    // About 12 MB of events: more than the sockets on both ends hold.
    const runs = Array.from({ length: 12 }, () => ({ task: "test.verbose", input: { lines: 100, bytes: 10_000 } }));
    const { ids } = await app.client.runs.enqueueMany.mutate({ items: runs });
    const enqueuedAt = Date.now();
    // Its buffer overflows after the enqueue, so closing within 30 s of the enqueue is within 30 s
    // of overflowing (its close frame waits behind what it holds, then the socket is destroyed).
    expect(await resolvesWithin(serverSideClosed, 30_000)).toBe(true);
    expect(Date.now() - enqueuedAt).toBeLessThan(30_000);
    expect(await cutCount()).toBe(cutsBefore + 1);
    expect(serverSockets().has(serverSide)).toBe(false);
    expect(app.conveyor.services.hub?.load.bufferedEvents).toBe(0);
    expect(app.conveyor.services.hub?.load.subscribers.websocket).toBe(0);
    // And so Prometheus reads it.
    const scraped = await (
      await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${app.tokens.viewer}` } })
    ).text();
    expect(scraped).toContain(
      `conveyor_live_subscribers_cut_total{transport="websocket",reason="slow"} ${cutsBefore + 1}`,
    );
    expect(scraped).toMatch(/^conveyor_live_buffered_events 0$/m);
    expect(scraped).toMatch(/^conveyor_live_subscribers\{transport="websocket"\} 0$/m);

    // What reached it before the cut, in order; then it resumes after its last event.
    stalled.socket.resume();
    await stalled.closed;
    expect(received).toEqual([...received].sort((a, b) => a - b));
    const lastReceived = String(received.at(-1) ?? start);
    for (const id of ids) await waitForRun(database.url, id, isFinished);
    const client = createApiClient(base, app.tokens.viewer, { transport: "websocket" });
    const resumed = collect((handlers) => client.events.feed.subscribe({ lastEventId: lastReceived }, handlers));
    const committed = await app.conveyor.pool.query<{ id: string }>(
      "select id::text as id from events e where e.id > $1 order by e.id",
      [start],
    );
    const allIds = committed.rows.map((row) => row.id);
    try {
      await untilReceived(resumed, allIds.at(-1) ?? lastReceived, 30_000);
      expect([...received.map(String), ...resumed.ids]).toEqual(allIds);
      expect(resumed.ids[0]).toBe(allIds[allIds.indexOf(lastReceived) + 1]);
    } finally {
      resumed.stop();
    }
  }, 120_000);
});
