import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { eventsChannel } from "@conveyor/shared";
import { sql } from "drizzle-orm";
import pg from "pg";
import { describe, expect, it, vi } from "vitest";
import { reapDeadWorkers } from "../server/src/workers/sql/reapDeadWorkers.js";
import { collect, untilReceived } from "./fixtures/eventCollector.js";
import { startFailoverProxy } from "./fixtures/failoverProxy.js";
import {
  type ApiClient,
  createApiClient,
  latestEventId,
  startFileConveyor,
  startTestConveyor,
  type TestConveyor,
  waitForEvents,
  waitForRun,
} from "./fixtures/testConveyor.js";
import { spawnWorkerProcess } from "./fixtures/workerProcess.js";

const { database, app } = await startFileConveyor("live");

const watchRun = (client: ApiClient, id: string, lastEventId?: string) =>
  collect((handlers) => client.runs.watch.subscribe({ id, ...(lastEventId ? { lastEventId } : {}) }, handlers));

async function storedEventIds(runId: string): Promise<string[]> {
  const rows = await app.conveyor.db.execute<{ id: string }>(
    sql`select id from events where run_id = ${runId} order by id`,
  );
  return rows.rows.map((row) => String(row.id));
}

describe("runs.watch", () => {
  it("streams a run's events live, in order, and completes with its terminal event", async () => {
    const { id } = await app.client.runs.enqueue.mutate({
      task: "report.generate",
      input: { userId: 5, failureRate: 0 },
    });
    const stream = watchRun(app.clients.viewer, id);
    await stream.completed;
    const types = stream.events.map((event) => event.type);
    expect(types[0]).toBe("run.queued");
    expect(types).toContain("run.started");
    expect(types.at(-1)).toBe("run.succeeded");
    const progress = stream.events.filter((event) => event.type === "run.progress").at(-1);
    expect(progress?.payload).toMatchObject({ current: 5, total: 5, message: "Step 5/5" });
    expect(stream.ids).toEqual(await storedEventIds(id));
    expect(stream.events[0]).toMatchObject({ runId: id, task: "report.generate" });
  });

  it("watching a finished run yields its history and terminal event, then completes", async () => {
    const { id } = await app.client.runs.enqueue.mutate({ task: "conveyor.noop", input: { done: true } });
    await waitForRun(database.url, id, (run) => run.status === "succeeded");
    const stream = watchRun(app.clients.viewer, id);
    await stream.completed;
    expect(stream.ids).toEqual(await storedEventIds(id));
    expect(stream.events.at(-1)?.type).toBe("run.succeeded");
  });

  it("a client that reconnects with its last event id gets exactly what it missed", async () => {
    const { id } = await app.client.runs.enqueue.mutate({ task: "conveyor.sleep", input: { ms: 600 } });
    const first = watchRun(app.clients.viewer, id);
    await first.atLeast(3);
    first.stop();
    const seen = [...first.ids];
    const second = watchRun(app.clients.viewer, id, seen.at(-1));
    await second.completed;
    const all = [...seen, ...second.ids];
    expect(new Set(all).size).toBe(all.length);
    expect(all).toEqual(await storedEventIds(id));
  });

  it("watching a run that failed and was retried follows it past the failure to its real end", async () => {
    const { id } = await app.client.runs.enqueue.mutate({
      task: "test.flaky",
      input: { failures: 1 },
      options: { maxAttempts: 1 },
    });
    await waitForRun(database.url, id, (run) => run.status === "failed");
    await app.client.runs.retry.mutate({ id });
    const stream = watchRun(app.clients.viewer, id);
    await stream.completed;
    const types = stream.events.map((event) => event.type);
    expect(types).toContain("run.failed");
    expect(types.at(-1)).toBe("run.succeeded");
    expect(stream.ids).toEqual(await storedEventIds(id));
  });

  it("refuses a subscription without a token, and an unknown run", async () => {
    const anonymous = collect((handlers) =>
      createApiClient(app.conveyor.url ?? "").runs.watch.subscribe(
        { id: "01900000-0000-7000-8000-000000000000" },
        handlers,
      ),
    );
    await expect(anonymous.completed).rejects.toMatchObject({ data: { code: "UNAUTHORIZED" } });
    const unknown = watchRun(app.clients.viewer, "01900000-0000-7000-8000-000000000000");
    await expect(unknown.completed).rejects.toMatchObject({ data: { code: "NOT_FOUND" } });
  });
});

describe("the event hub", () => {
  it("survives its LISTEN connection being terminated mid-run, losing nothing", async () => {
    const { id } = await app.client.runs.enqueue.mutate({ task: "conveyor.sleep", input: { ms: 800 } });
    const stream = watchRun(app.clients.viewer, id);
    await stream.atLeast(2);
    const pid = app.conveyor.services.hub?.listenerPid;
    expect(pid).toBeTypeOf("number");
    await app.conveyor.db.execute(sql`select pg_terminate_backend(${pid}::int)`);
    await stream.completed;
    expect(stream.ids).toEqual(await storedEventIds(id));
    expect(app.conveyor.services.hub?.listenerPid).not.toBe(pid);
  });

  it("reads nothing while no one listens; a feed opened later starts from that moment, and resuming loses nothing", async () => {
    expect(app.conveyor.services.hub?.subscriberCount).toBe(0);
    const before = await latestEventId(app.conveyor.db);
    const unheard = await app.client.runs.enqueue.mutate({ task: "conveyor.noop", input: { unheard: true } });
    await waitForRun(database.url, unheard.id, (run) => run.status === "succeeded");
    const lastUnheard = Number(await latestEventId(app.conveyor.db));
    expect(app.conveyor.services.hub?.deliveredUpTo).toBeLessThan(lastUnheard);

    const fromNow = collect((handlers) => app.clients.viewer.events.feed.subscribe({}, handlers));
    const resumed = collect((handlers) =>
      app.clients.viewer.events.feed.subscribe({ task: "conveyor.noop", lastEventId: before }, handlers),
    );
    // Whenever the feed's start falls, runs enqueued after it reach the feed: enqueue until one does.
    const firstEvent = fromNow.atLeast(1);
    let hasFirstEvent = false;
    void firstEvent.then(
      () => {
        hasFirstEvent = true;
      },
      () => {},
    );
    while (!hasFirstEvent) {
      const heard = await app.client.runs.enqueue.mutate({ task: "conveyor.noop", input: { heard: true } });
      await waitForRun(database.url, heard.id, (run) => run.status === "succeeded");
    }
    await firstEvent;
    const last = await latestEventId(app.conveyor.db);
    await untilReceived(fromNow, last);
    fromNow.stop();
    const first = Number(fromNow.ids[0]);
    expect(first).toBeGreaterThan(lastUnheard);
    // From its first event on, the feed has every event, in order, once.
    const stored = await app.conveyor.db.execute<{ id: string }>(
      sql`select id from events where id >= ${first} and id <= ${Number(last)} order by id`,
    );
    expect(fromNow.ids).toEqual(stored.rows.map((row) => String(row.id)));
    await resumed.atLeast(3);
    resumed.stop();
    expect(resumed.ids.slice(0, 3)).toEqual(await storedEventIds(unheard.id));
  });

  it("holds back an event until every smaller id is final, so a late commit is not skipped", async () => {
    const lastEventId = await latestEventId(app.conveyor.db);
    const feed = collect((handlers) =>
      app.clients.viewer.events.feed.subscribe({ task: "test.add", lastEventId }, handlers),
    );
    const runA = await app.client.runs.enqueue.mutate({
      task: "test.add",
      input: { value: 1 },
      options: { delayMs: 3_600_000 },
    });
    const runB = await app.client.runs.enqueue.mutate({
      task: "test.add",
      input: { value: 2 },
      options: { delayMs: 3_600_000 },
    });
    await feed.atLeast(2);
    // A transaction takes an event id and stays open while a later one commits.
    const slow = new pg.Client({ connectionString: database.url });
    await slow.connect();
    try {
      await slow.query("begin");
      const early = await slow.query<{ id: string }>(
        "insert into events (run_id, type, payload) values ($1, 'run.log', '{\"message\":\"early\"}') returning id",
        [runA.id],
      );
      const late = await app.conveyor.db.execute<{ id: string }>(
        sql`insert into events (run_id, type, payload) values (${runB.id}, 'run.log', '{"message":"late"}') returning id`,
      );
      await app.conveyor.db.execute(sql`select pg_notify('conveyor_events', '')`);
      const earlyId = String(early.rows[0]?.id);
      const lateId = String(late.rows[0]?.id);
      expect(Number(lateId)).toBeGreaterThan(Number(earlyId));
      await slow.query("commit");
      await feed.atLeast(4);
      // The later id was committed first but did not overtake the earlier one.
      expect(feed.ids.slice(-2)).toEqual([earlyId, lateId]);
    } finally {
      await slow.end();
      feed.stop();
    }
  });
});

describe("the events channel", () => {
  it("carries a notification only for a statement that recorded events, with its highest id", async () => {
    const listener = new pg.Client({ connectionString: database.url });
    await listener.connect();
    const heard: string[] = [];
    listener.on("notification", ({ payload }) => heard.push(payload ?? ""));
    try {
      await listener.query(`listen ${eventsChannel}`);
      // A worker's beat looks for dead workers and finds none: a transition that changes no run.
      // Postgres commits notifying transactions one at a time, so it must not notify.
      await reapDeadWorkers(app.conveyor.db, randomUUID(), 60_000);
      const { id } = await app.client.runs.enqueue.mutate({ task: "conveyor.noop", input: {} });
      const [queuedId] = await storedEventIds(id);
      // Notifications arrive in commit order: the reap's, had there been one, came first.
      const announces = (payload: string) => /^\d+$/.test(payload) && BigInt(payload) >= BigInt(String(queuedId));
      await vi.waitFor(() => expect(heard.some(announces)).toBe(true));
      expect(heard.filter((payload) => !/^\d+$/.test(payload))).toEqual([]);
    } finally {
      await listener.end();
    }
  });
});

describe("events.feed and flows.watch", () => {
  it("filters the feed by task and status", async () => {
    const lastEventId = await latestEventId(app.conveyor.db);
    const feed = collect((handlers) =>
      app.clients.viewer.events.feed.subscribe({ task: "test.flaky", status: "failed", lastEventId }, handlers),
    );
    await app.client.runs.enqueue.mutate({ task: "conveyor.noop", input: {} });
    const { id } = await app.client.runs.enqueue.mutate({
      task: "test.flaky",
      input: { failures: 9 },
      options: { maxAttempts: 1 },
    });
    await feed.atLeast(1);
    feed.stop();
    expect(feed.events).toHaveLength(1);
    expect(feed.events[0]).toMatchObject({ runId: id, type: "run.failed", task: "test.flaky" });
  });

  it("flows.watch streams every run of a flow and completes when the flow is done", async () => {
    const flow = await app.client.flows.group.mutate({
      members: Array.from({ length: 5 }, (_, n) => ({ task: "test.add", input: { value: n } })),
      callback: { task: "test.sum" },
    });
    const stream = collect((handlers) => app.clients.viewer.flows.watch.subscribe({ id: flow.id }, handlers));
    await stream.completed;
    const succeeded = stream.events.filter((event) => event.type === "run.succeeded");
    expect(new Set(succeeded.map((event) => event.runId))).toEqual(new Set(flow.runIds));
    const rows = await app.conveyor.db.execute<{ id: string }>(
      sql`select id from events where flow_id = ${flow.id} order by id`,
    );
    expect(stream.ids).toEqual(rows.rows.map((row) => String(row.id)));
  });

  it("flows.watch on a flow that already finished replays all of it, to its last event", async () => {
    const flow = await app.client.flows.group.mutate({
      members: Array.from({ length: 6 }, (_, n) => ({ task: "test.add", input: { value: n } })),
    });
    await waitForEvents(
      database.url,
      async () => ((await app.client.flows.get.query({ id: flow.id })).status === "succeeded" ? true : undefined),
      () => "the group never finished",
    );
    const stream = collect((handlers) => app.clients.viewer.flows.watch.subscribe({ id: flow.id }, handlers));
    await stream.completed;
    expect(stream.events.filter((event) => event.type === "run.succeeded")).toHaveLength(6);
  });
});

describe("across processes", () => {
  it("a worker in one process, two API processes: subscribers on both get every event of a run, in order", async () => {
    const apiB = await startTestConveyor(database.url, { worker: false });
    const worker = spawnWorkerProcess(database.url, { env: { WORKER_CONCURRENCY: "2" } });
    const exited = once(worker, "exit");
    try {
      // Only the child process may run it.
      await app.conveyor.worker?.stop();
      const { id } = await apiB.client.runs.enqueue.mutate({ task: "conveyor.sleep", input: { ms: 300 } });
      const onA = watchRun(app.clients.viewer, id);
      const onB = watchRun(apiB.clients.viewer, id);
      await Promise.all([onA.completed, onB.completed]);
      const stored = await storedEventIds(id);
      expect(onA.ids).toEqual(stored);
      expect(onB.ids).toEqual(stored);
      expect(stored.length).toBeGreaterThanOrEqual(4);
    } finally {
      worker.kill("SIGTERM");
      await exited;
      await apiB.close();
    }
  });

  it("restarting the API mid-run: the client resumes on the new process from its last event id", async () => {
    const worker = await startTestConveyor(database.url, { api: false });
    const apiC = await startTestConveyor(database.url, { worker: false });
    try {
      const { id } = await apiC.client.runs.enqueue.mutate({ task: "conveyor.sleep", input: { ms: 800 } });
      const before = watchRun(apiC.clients.viewer, id);
      await before.atLeast(3);
      await apiC.close();
      // The old process cuts the stream rather than completing it: the client would reconnect.
      expect(await before.cut).toMatchObject({ data: { code: "SERVICE_UNAVAILABLE" } });
      expect(before.isCompleted).toBe(false);
      // It would only reconnect to the closed process; the client resumes on the new one below.
      before.stop();
      const apiD = await startTestConveyor(database.url, { worker: false });
      try {
        const after = watchRun(apiD.clients.viewer, id, before.ids.at(-1));
        await after.completed;
        const all = [...before.ids, ...after.ids];
        expect(new Set(all).size).toBe(all.length);
        expect(all).toEqual(await storedEventIds(id));
      } finally {
        await apiD.close();
      }
    } finally {
      await worker.close();
    }
  });

  it("restarting the API under a WebSocket subscriber: it reconnects through the balancer by itself and resumes exactly", async () => {
    // A small worker (the file's own was stopped above): with three Conveyors at once, this file
    // must leave Postgres connections for the test files running beside it.
    const worker = await startTestConveyor(database.url, { api: false, env: { WORKER_CONCURRENCY: "2" } });
    let ports: number[] = [];
    const balancer = await startFailoverProxy(() => ports);
    const portOf = (api: TestConveyor) => Number(new URL(api.conveyor.url ?? "").port);
    const apiC = await startTestConveyor(database.url, { worker: false });
    let apiD: TestConveyor | null = null;
    ports = [portOf(apiC)];
    try {
      const { id } = await apiC.client.runs.enqueue.mutate({ task: "conveyor.sleep", input: { ms: 2_000 } });
      const client = createApiClient(balancer.url, apiC.tokens.viewer, { transport: "websocket" });
      const stream = watchRun(client, id);
      await stream.atLeast(3);
      apiD = await startTestConveyor(database.url, { worker: false });
      ports = [portOf(apiD)];
      await apiC.close();
      // Told to reconnect (close code 1012), not that the stream is over.
      await stream.cut;
      expect(stream.isCompleted).toBe(false);
      await stream.completed;
      expect(new Set(stream.ids).size).toBe(stream.ids.length);
      expect(stream.ids).toEqual(await storedEventIds(id));
    } finally {
      await apiC.close();
      await apiD?.close();
      await balancer.close();
      await worker.close();
    }
  });
});
