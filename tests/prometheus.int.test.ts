import { execFileSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { spawnConveyorProcess } from "./fixtures/conveyorProcess.js";
import { pollUntil } from "./fixtures/pollUntil.js";
import { startProcessTestbed } from "./fixtures/processTestbed.js";
import { type Prometheus, startPrometheus } from "./fixtures/prometheus.js";
import { createApiClient, isFinished, waitForRun } from "./fixtures/testConveyor.js";

const docs = fileURLToPath(new URL("../docs/grafana/", import.meta.url));
const alertRules = `${docs}alerts.yml`;
const metricsToken = "p".repeat(40);

/** The query KEDA scales the workers on (deploy/kubernetes/base/worker-autoscaler.yaml). */
async function autoscalerQuery(): Promise<string> {
  const manifest = parse(
    await readFile(fileURLToPath(new URL("../deploy/kubernetes/base/worker-autoscaler.yaml", import.meta.url)), "utf8"),
  ) as { spec: { triggers: { metadata: { query: string } }[] } };
  return manifest.spec.triggers[0]?.metadata.query ?? "";
}

async function dashboardQueries(): Promise<string[]> {
  const dashboard = JSON.parse(await readFile(`${docs}conveyor-dashboard.json`, "utf8")) as {
    panels: { targets: { expr: string }[] }[];
  };
  return dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr));
}

/** Resolves with `probe`'s first result that `isDone` accepts, asking Prometheus again as it scrapes. */
async function untilPrometheus<T>(probe: () => Promise<T>, isDone: (value: T) => boolean, what: string): Promise<T> {
  let last: T | undefined;
  return pollUntil(
    async () => {
      last = await probe();
      return isDone(last) ? last : undefined;
    },
    () => `${what}: still ${JSON.stringify(last)}`,
    { intervalMs: 250 },
  );
}

/** The single value of `expr`, or null when it has no series. */
async function scalarOf(prometheus: Prometheus, expr: string): Promise<number | null> {
  const series = await prometheus.query(expr);
  return series.length === 0 ? null : (series[0]?.value ?? null);
}

/** Every dashboard query has at least one series, and none is NaN. */
async function expectEveryPanelHasData(prometheus: Prometheus): Promise<void> {
  for (const expr of await dashboardQueries()) {
    const series = await prometheus.query(expr);
    expect({ expr, series: series.length > 0 }).toEqual({ expr, series: true });
    expect({ expr, values: series.every((entry) => Number.isFinite(entry.value)) }).toEqual({ expr, values: true });
  }
}

describe("metrics through a real Prometheus (Debian's prometheus and promtool)", () => {
  it("promtool accepts the alert rules", () => {
    expect(execFileSync("promtool", ["check", "rules", alertRules], { encoding: "utf8" })).toMatch(/SUCCESS/);
  });

  it("every dashboard query has data idle and under load; counts, the failure share and a queue's depth read as the runs imply", {
    timeout: 120_000,
  }, async () => {
    const testbed = await startProcessTestbed("prometheus", { METRICS_TOKEN: metricsToken, WORKER_CONCURRENCY: "4" });
    const api = await spawnConveyorProcess("api", testbed.env);
    testbed.processes.push(api);
    const worker = await spawnConveyorProcess("worker", { ...testbed.env, METRICS_PORT: "0" });
    testbed.processes.push(worker);
    const hostOf = (url: string) => new URL(url).host;
    const prometheus = await startPrometheus(
      [
        { job: "conveyor-api", targets: [hostOf(api.url)], token: metricsToken },
        { job: "conveyor-worker", targets: [hostOf(worker.metricsUrl)], token: metricsToken },
      ],
      [alertRules],
    );
    testbed.onCleanup(() => prometheus.stop());

    // Idle: both targets scraped a few times, so that every rate has two samples.
    await untilPrometheus(
      () => scalarOf(prometheus, "min(count_over_time(up[1m]) * up)"),
      (scrapes) => scrapes !== null && scrapes >= 3,
      "both targets up and scraped three times",
    );
    await expectEveryPanelHasData(prometheus);
    expect(await scalarOf(prometheus, 'max(conveyor_queue_depth{queue="",state="queued"})')).toBe(0);
    const rules = await prometheus.rules();
    expect(rules.length).toBeGreaterThanOrEqual(7);
    for (const rule of rules)
      expect({ rule: rule.name, health: rule.health }).toEqual({ rule: rule.name, health: "ok" });

    // A queue's depth rises while it is paused and returns to 0 (a series at 0, not none) once it drains.
    const client = createApiClient(api.url, testbed.adminToken);
    await client.pauses.pause.mutate({ kind: "queue", name: "prom" });
    const held = await client.runs.enqueueMany.mutate({
      items: Array.from({ length: 12 }, (_, n) => ({
        task: "conveyor.noop",
        input: { n },
        options: { queue: "prom" },
      })),
    });
    await untilPrometheus(
      () => scalarOf(prometheus, 'max(conveyor_queue_depth{queue="prom",state="queued"})'),
      (depth) => depth === 12,
      "the paused queue's depth",
    );
    // The workers' autoscaler reads the same work waiting.
    expect(await scalarOf(prometheus, await autoscalerQuery())).toBe(12);
    await client.pauses.resume.mutate({ kind: "queue", name: "prom" });

    // Successes and failures.
    const { ids: succeeding } = await client.runs.enqueueMany.mutate({
      items: Array.from({ length: 30 }, (_, n) => ({ task: "conveyor.noop", input: { n } })),
    });
    const { ids: failing } = await client.runs.enqueueMany.mutate({
      items: Array.from({ length: 3 }, (_, n) => ({
        task: "report.generate",
        input: { userId: n + 1, failureRate: 1 },
        options: { maxAttempts: 1 },
      })),
    });
    for (const id of [...held.ids, ...succeeding, ...failing]) await waitForRun(testbed.database.url, id, isFinished);

    await untilPrometheus(
      () => scalarOf(prometheus, 'max(conveyor_queue_depth{queue="prom",state="queued"})'),
      (depth) => depth === 0,
      "the drained queue's depth",
    );
    await untilPrometheus(
      async () => scalarOf(prometheus, await autoscalerQuery()),
      (waiting) => waiting === 0,
      "the autoscaler's work waiting once all finished",
    );
    await untilPrometheus(
      () =>
        Promise.all([
          scalarOf(prometheus, 'sum(conveyor_runs_enqueued_total{task="conveyor.noop"})'),
          scalarOf(prometheus, 'sum(conveyor_attempts_finished_total{task="conveyor.noop",outcome="succeeded"})'),
          scalarOf(prometheus, 'sum(conveyor_attempts_finished_total{task="report.generate",outcome="failed"})'),
        ]),
      ([enqueued, succeeded, failed]) => enqueued === 42 && succeeded === 42 && failed === 3,
      "the counts of the runs",
    );
    const failureShare = (await dashboardQueries()).find((expr) => expr.includes('outcome="failed"')) ?? "";
    const share = await scalarOf(prometheus, failureShare);
    expect(share).toBeGreaterThan(0);
    expect(share).toBeLessThan(1);
    await expectEveryPanelHasData(prometheus);
  });
});
