import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { type ConveyorProcess, spawnConveyorProcess } from "./fixtures/conveyorProcess.js";
import { collect } from "./fixtures/eventCollector.js";
import { isFinished, startFileConveyor, waitForRun } from "./fixtures/testConveyor.js";

const metricsToken = "m".repeat(40);
const { database, app } = await startFileConveyor("metrics", { env: { METRICS_TOKEN: metricsToken } });
const metricsUrl = `${app.conveyor.url}/metrics`;

/** The scrape, as Prometheus would read it: `name{labels}` → value. */
async function scrape(url: string, token: string): Promise<Map<string, number>> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  const samples = new Map<string, number>();
  for (const line of (await response.text()).split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

const value = (samples: Map<string, number>, series: string) => samples.get(series) ?? 0;

describe("GET /metrics on the API", () => {
  it("needs a token: none or a wrong one is refused, an API token or METRICS_TOKEN is let in", async () => {
    expect((await fetch(metricsUrl)).status).toBe(401);
    expect((await fetch(metricsUrl, { headers: { authorization: "Bearer cvy_not-a-token" } })).status).toBe(401);
    await scrape(metricsUrl, app.tokens.viewer);
    await scrape(metricsUrl, metricsToken);
  });

  it("moves with real runs: enqueued, attempts by outcome, durations, queue depth and wait", async () => {
    const before = await scrape(metricsUrl, metricsToken);
    const { ids } = await app.client.runs.enqueueMany.mutate({
      items: [
        { task: "conveyor.noop", input: {} },
        { task: "conveyor.noop", input: {} },
        { task: "conveyor.noop", input: {} },
        { task: "test.refuses", input: {} },
        { task: "test.flaky", input: { failures: 1 }, options: { maxAttempts: 2 } },
      ],
    });
    for (const id of ids) await waitForRun(database.url, id, isFinished);
    const later = await app.client.runs.enqueue.mutate({
      task: "conveyor.noop",
      input: {},
      options: { delayMs: 60_000, queue: "metrics-later" },
    });
    const after = await scrape(metricsUrl, metricsToken);
    const moved = (series: string) => value(after, series) - value(before, series);

    expect(moved('conveyor_runs_enqueued_total{task="conveyor.noop"}')).toBe(4);
    expect(moved('conveyor_attempts_started_total{task="conveyor.noop"}')).toBe(3);
    expect(moved('conveyor_attempts_finished_total{task="conveyor.noop",outcome="succeeded"}')).toBe(3);
    expect(moved('conveyor_attempts_finished_total{task="test.refuses",outcome="failed"}')).toBe(1);
    expect(moved('conveyor_attempts_finished_total{task="test.flaky",outcome="retried"}')).toBe(1);
    expect(moved('conveyor_attempts_finished_total{task="test.flaky",outcome="succeeded"}')).toBe(1);
    expect(moved('conveyor_attempt_duration_seconds_count{task="conveyor.noop",outcome="succeeded"}')).toBe(3);
    expect(moved('conveyor_queue_wait_seconds_count{task="conveyor.noop"}')).toBe(3);
    expect(value(after, 'conveyor_queue_depth{queue="metrics-later",state="queued"}')).toBe(1);
    expect(value(after, 'conveyor_worker_task_slots{state="total"}')).toBe(8);
    expect(value(after, 'conveyor_db_pool_connections{state="total"}')).toBeGreaterThan(0);
    expect(after.has("process_cpu_user_seconds_total")).toBe(true);

    await app.client.runs.cancel.mutate({ id: later.id });
    const cancelled = await scrape(metricsUrl, metricsToken);
    expect(value(cancelled, 'conveyor_runs_cancelled_total{task="conveyor.noop"}')).toBe(
      value(after, 'conveyor_runs_cancelled_total{task="conveyor.noop"}') + 1,
    );
    // An emptied queue reads zero, not its last depth, and its series stays.
    expect(cancelled.get('conveyor_queue_depth{queue="metrics-later",state="queued"}')).toBe(0);
    expect(cancelled.get('conveyor_queue_oldest_age_seconds{queue="metrics-later"}')).toBe(0);
  });

  it("exports every series a panel or alert reads from the start, at 0: each task's outcomes, durations, the queues", async () => {
    const samples = await scrape(metricsUrl, metricsToken);
    for (const outcome of ["succeeded", "failed", "retried", "requeued"]) {
      expect(samples.has(`conveyor_attempts_finished_total{task="email.send",outcome="${outcome}"}`)).toBe(true);
      expect(samples.has(`conveyor_attempt_duration_seconds_count{task="email.send",outcome="${outcome}"}`)).toBe(true);
    }
    expect(samples.get('conveyor_runs_enqueued_total{task="image.resize"}')).toBe(0);
    expect(samples.get('conveyor_queue_wait_seconds_count{task="image.resize"}')).toBe(0);
    expect(samples.get('conveyor_cache_requests_total{namespace="users",result="bypass"}')).toBe(0);
    expect(samples.has('conveyor_queue_depth{queue="",state="queued"}')).toBe(true);
    expect(samples.has('conveyor_queue_oldest_age_seconds{queue=""}')).toBe(true);
  });

  it("counts cache misses and hits by namespace", async () => {
    const before = await scrape(metricsUrl, metricsToken);
    await app.client.hotels.list.query({ city: "Metricsville" });
    await app.client.hotels.list.query({ city: "Metricsville" });
    const after = await scrape(metricsUrl, metricsToken);
    const moved = (series: string) => value(after, series) - value(before, series);
    expect(moved('conveyor_cache_requests_total{namespace="hotels",result="miss"}')).toBe(1);
    expect(moved('conveyor_cache_requests_total{namespace="hotels",result="hit"}')).toBe(1);
  });
});

describe("the Grafana dashboard and the alert rules", () => {
  it("are well formed, and every query names a metric a scrape has", async () => {
    const docs = fileURLToPath(new URL("../docs/grafana/", import.meta.url));
    const dashboard = JSON.parse(await readFile(`${docs}conveyor-dashboard.json`, "utf8")) as {
      panels: { title: string; targets: { expr: string }[] }[];
    };
    const alerts = await readFile(`${docs}alerts.yml`, "utf8");
    const queries = [
      ...dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr)),
      ...[...alerts.matchAll(/^\s+expr: (.+)$/gm)].map((match) => match[1] ?? ""),
    ];
    expect(dashboard.panels.length).toBeGreaterThanOrEqual(10);
    expect(queries.length).toBeGreaterThanOrEqual(dashboard.panels.length + 5);
    // What the exposition declares (`# TYPE name kind`), series or not: a queue gauge has none
    // while every queue is empty.
    const text = await (await fetch(metricsUrl, { headers: { authorization: `Bearer ${metricsToken}` } })).text();
    const scraped = new Set(
      [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].flatMap(([, name = "", kind]) =>
        kind === "histogram" ? [name, `${name}_bucket`, `${name}_sum`, `${name}_count`] : [name],
      ),
    );
    // `up` is Prometheus's own, about each target it scrapes.
    const named = queries.flatMap((query) => [...query.matchAll(/\b((?:conveyor|process)_[a-z_]+)/g)].map((m) => m[1]));
    expect(named.length).toBeGreaterThan(0);
    for (const metric of named) expect(scraped, `${metric} is not exported`).toContain(metric);
  });
});

describe("the event hub's gauges", () => {
  it("count open subscriptions, and a subscriber that got every event shows no lag", async () => {
    const feed = collect((handlers) => app.clients.viewer.events.feed.subscribe({}, handlers));
    const { id } = await app.client.runs.enqueue.mutate({ task: "conveyor.noop", input: {} });
    await waitForRun(database.url, id, isFinished);
    await feed.atLeast(3);
    const open = await scrape(metricsUrl, metricsToken);
    expect(value(open, "conveyor_event_hub_subscribers")).toBe(1);
    expect(value(open, "conveyor_event_hub_lag_events")).toBe(0);
    feed.stop();
    await expect
      .poll(async () => value(await scrape(metricsUrl, metricsToken), "conveyor_event_hub_subscribers"))
      .toBe(0);
  });
});

describe("a worker process's own /metrics (METRICS_PORT)", () => {
  const processes: ConveyorProcess[] = [];
  afterAll(async () => {
    for (const child of processes) await child.kill();
  });

  it("serves its attempts on a listener of its own, to the bearer of METRICS_TOKEN", async () => {
    const worker = await spawnConveyorProcess("worker", {
      DATABASE_URL: database.url,
      METRICS_PORT: "0",
      METRICS_TOKEN: metricsToken,
      WORKER_CONCURRENCY: "3",
    });
    processes.push(worker);
    expect((await fetch(worker.metricsUrl)).status).toBe(401);
    const { id } = await app.client.runs.enqueue.mutate({ task: "conveyor.sleep", input: { ms: 1 } });
    await waitForRun(database.url, id, isFinished);
    // Either worker may take it; together they ran it once.
    const [own, api] = await Promise.all([scrape(worker.metricsUrl, metricsToken), scrape(metricsUrl, metricsToken)]);
    const finished = (samples: Map<string, number>) =>
      value(samples, 'conveyor_attempts_finished_total{task="conveyor.sleep",outcome="succeeded"}');
    expect(finished(own) + finished(api)).toBe(1);
    expect(value(own, 'conveyor_worker_task_slots{state="total"}')).toBe(3);
    expect(value(own, 'conveyor_db_pool_connections{state="total"}')).toBeGreaterThan(0);
  });
});
