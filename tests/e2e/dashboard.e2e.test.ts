import { randomBytes } from "node:crypto";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchBrowser, saveDocsScreenshot, saveScreenshot, signIn } from "../fixtures/browser.js";
import { isRunning, startFileConveyor, waitForRun } from "../fixtures/testConveyor.js";

const staticDir = inject("staticDir");

const { database, app } = await startFileConveyor("e2e_dashboard", { staticDir });
let browser: Browser;
let context: BrowserContext;
let page: Page;

/** Every tRPC message the page's sockets sent and received, parsed: what its subscriptions did. */
const socketTraffic: { sent: SocketMessage[]; received: SocketMessage[] } = { sent: [], received: [] };
interface SocketMessage {
  id?: number;
  method?: string;
  params?: { path?: string; input?: { json?: { id?: string } } };
  result?: { type?: string };
}

function socketMessages(payload: string | Buffer): SocketMessage[] {
  if (typeof payload !== "string" || (!payload.startsWith("{") && !payload.startsWith("["))) return [];
  const parsed: unknown = JSON.parse(payload);
  return (Array.isArray(parsed) ? parsed : [parsed]) as SocketMessage[];
}

/** Whether the page's subscription to `path` for `id` has started: from then on, it hears every event. */
function hasStarted(path: string, id: string): boolean {
  const requests = socketTraffic.sent.filter(
    (message) => message.params?.path === path && message.params.input?.json?.id === id,
  );
  return socketTraffic.received.some(
    (message) => message.result?.type === "started" && requests.some((request) => request.id === message.id),
  );
}

beforeAll(async () => {
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  page.on("websocket", (socket) => {
    socket.on("framesent", ({ payload }) => socketTraffic.sent.push(...socketMessages(payload)));
    socket.on("framereceived", ({ payload }) => socketTraffic.received.push(...socketMessages(payload)));
  });
  await signIn(page, app.conveyor.url, app.tokens.admin);
});

afterAll(async () => {
  await browser?.close();
});

async function open(path: string): Promise<void> {
  await page.goto(`${app.conveyor.url}/#${path}`);
}

const flowNodes = (target: Page = page) => target.locator('[data-testid="flow-node"]');
const flowNode = (runId: string) => page.locator(`[data-testid="flow-node"][data-run-id="${runId}"]`);

/**
 * Opens a flow in a fresh tab (so `performance.now()` counts from this navigation: loading the
 * page, signing in by cookie, reading the flow, laying it out and drawing it) and measures until
 * all its nodes are in the page. `then` runs on the tab before it closes.
 */
async function msToRenderFlow(flowId: string, nodeCount: number, then?: (tab: Page) => Promise<void>) {
  const tab = await context.newPage();
  try {
    await tab.goto(`${app.conveyor.url}/#/flows/${flowId}`);
    await tab.waitForFunction(
      (count) => document.querySelectorAll('[data-testid="flow-node"]').length === count,
      nodeCount,
      { timeout: 30_000, polling: "raf" },
    );
    const ms = Math.round(await tab.evaluate(() => performance.now()));
    await then?.(tab);
    return ms;
  } finally {
    await tab.close();
  }
}

describe("the flow view", () => {
  it("draws a chain and turns its nodes green one after another, live", async () => {
    const step = { task: "conveyor.sleep", input: { ms: 300 } };
    // The first step waits in a named queue (serial across the cluster) behind a gate run that
    // only ends when cancelled, so nothing of the chain runs before the page is open and watching.
    const queue = `chain-gate-${randomBytes(4).toString("hex")}`;
    const gate = await app.client.runs.enqueue.mutate({
      task: "conveyor.sleep",
      input: { ms: 60_000 },
      options: { queue },
    });
    await waitForRun(database.url, gate.id, isRunning);
    const flow = await app.client.flows.chain.mutate({ steps: [{ ...step, options: { queue } }, step, step] });
    // The flow's event stream, opened by the page on the tab's socket: watching once the server says it started.
    await open(`/flows/${flow.id}`);
    await expect.poll(() => hasStarted("flows.watch", flow.id)).toBe(true);
    await expect.poll(() => flowNodes().count()).toBe(3);
    expect(await page.getByTestId("flow-kind").textContent()).toBe("Chain");

    // Every status a node shows, in order, as the page changes it.
    await page.evaluate(() => {
      const log: string[] = [];
      Object.assign(window, { statusLog: log });
      const graph = document.querySelector('[data-testid="flow-graph"]');
      if (!graph) throw new Error("no flow graph");
      new MutationObserver((mutations) => {
        for (const mutation of mutations) {
          const node = mutation.target as HTMLElement;
          if (mutation.attributeName === "data-status")
            log.push(`${node.dataset.runId}:${node.dataset.status}:${performance.now()}`);
        }
      }).observe(graph, { attributes: true, subtree: true, attributeFilter: ["data-status"] });
    });
    expect(await flowNode(flow.runIds[0] as string).getAttribute("data-status")).not.toBe("succeeded");

    // The page is watching and recording: let the chain go.
    await app.client.runs.cancel.mutate({ id: gate.id });
    await expect
      .poll(() => flowNodes().evaluateAll((nodes) => nodes.map((node) => node.getAttribute("data-status"))), {
        timeout: 20_000,
      })
      .toEqual(["succeeded", "succeeded", "succeeded"]);
    expect(await page.getByTestId("flow-status").textContent()).toBe("succeeded");
    expect(await page.getByTestId("flow-progress-text").textContent()).toContain("3 / 3 finished");

    const log = (await page.evaluate(() => (window as unknown as { statusLog: string[] }).statusLog)).map((entry) => {
      const [runId, status, at] = entry.split(":");
      return { runId, status, at: Number(at) };
    });
    const succeededAt = flow.runIds.map(
      (runId) => log.find((entry) => entry.runId === runId && entry.status === "succeeded")?.at ?? Number.NaN,
    );
    // Each node went green on the page itself, after the one before it.
    expect(succeededAt.every(Number.isFinite)).toBe(true);
    expect(succeededAt).toEqual([...succeededAt].sort((a, b) => a - b));
    for (const runId of flow.runIds)
      expect(log.some((entry) => entry.runId === runId && entry.status === "running")).toBe(true);
    await saveScreenshot(page, "flow-chain");

    await flowNode(flow.runIds[1] as string).click();
    await page.waitForURL(new RegExp(`#/runs/${flow.runIds[1]}$`));
    expect(await page.getByTestId("run-status").textContent()).toBe("succeeded");
  });

  it("shows a chord's callback cancelled when a member fails", async () => {
    const flow = await app.client.flows.group.mutate({
      members: [
        { task: "test.add", input: { value: 1 } },
        { task: "test.refuses", input: {} },
        { task: "test.add", input: { value: 2 } },
      ],
      callback: { task: "test.sum" },
    });
    const callbackId = flow.runIds.at(-1) as string;
    await open(`/flows/${flow.id}`);
    await expect.poll(() => flowNode(callbackId).getAttribute("data-status"), { timeout: 20_000 }).toBe("cancelled");
    await expect.poll(() => flowNode(flow.runIds[1] as string).getAttribute("data-status")).toBe("failed");
    await expect.poll(() => page.getByTestId("flow-status").textContent()).toBe("failed");
    expect(await page.getByTestId("flow-kind").textContent()).toBe("Chord");
    // Once its other members have finished too, the flow offers nothing to cancel.
    await expect.poll(() => page.getByRole("button", { name: "Cancel flow" }).count()).toBe(0);
    await saveScreenshot(page, "flow-chord-failed");

    // By keyboard: each node takes the focus in turn, and Enter opens its run.
    await page.locator(".react-flow__node").first().focus();
    await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    await page.waitForURL(new RegExp(`#/runs/${flow.runIds[1]}$`));
  });

  it("draws a DAG left to right, each node right of what it waits for; its runs left going can be cancelled", async () => {
    const sleep = (ms: number) => ({ task: "conveyor.sleep", input: { ms } });
    const flow = await app.client.flows.dag.mutate({
      nodes: [
        { name: "extract", ...sleep(200) },
        { name: "clean", ...sleep(200), dependsOn: ["extract"] },
        { name: "enrich", ...sleep(200), dependsOn: ["extract"] },
        { name: "validate", task: "test.refuses", input: {}, dependsOn: ["extract"] },
        { name: "aggregate", ...sleep(200), dependsOn: ["clean", "enrich"] },
        { name: "publish", ...sleep(200), dependsOn: ["aggregate", "validate"] },
        { name: "archive", ...sleep(60_000), dependsOn: ["aggregate"] },
        { name: "notify", ...sleep(200), dependsOn: ["archive"] },
      ],
    });
    const [extract, clean, , , aggregate, publish, archive] = flow.runIds as string[];
    await open(`/flows/${flow.id}`);
    await expect
      .poll(() => flowNode(archive as string).getAttribute("data-status"), { timeout: 20_000 })
      .toBe("running");
    const x = async (runId: string) => (await flowNode(runId).boundingBox())?.x ?? Number.NaN;
    expect(await x(extract as string)).toBeLessThan(await x(clean as string));
    expect(await x(clean as string)).toBeLessThan(await x(aggregate as string));
    expect(await x(aggregate as string)).toBeLessThan(await x(archive as string));
    expect(await flowNode(extract as string).textContent()).toContain("extract");
    expect(await flowNode(extract as string).textContent()).toContain("conveyor.sleep");
    await saveDocsScreenshot(page, "flow");
    await page.emulateMedia({ colorScheme: "dark" });
    await saveScreenshot(page, "flow-dark");
    await page.emulateMedia({ colorScheme: "light" });

    // "validate" failed, so the flow has failed, and "publish" will never run; "archive" still runs.
    expect(await page.getByTestId("flow-status").textContent()).toBe("failed");
    expect(await flowNode(publish as string).getAttribute("data-status")).toBe("cancelled");
    await page.getByRole("button", { name: "Cancel flow" }).click();
    await expect
      .poll(() => flowNode(archive as string).getAttribute("data-status"), { timeout: 20_000 })
      .toBe("cancelled");
    await expect.poll(() => page.getByTestId("flow-progress-text").textContent()).toContain("8 / 8 finished");
    expect(await page.getByTestId("flow-status").textContent()).toBe("failed");
    await expect.poll(() => page.getByRole("button", { name: "Cancel flow" }).count()).toBe(0);
    await saveScreenshot(page, "flow-dag-cancelled");
  });

  it("renders a 500-member chord, every node on screen, within a few seconds, and keeps up with it", async () => {
    const members = Array.from({ length: 500 }, (_, index) => ({ task: "test.add", input: { value: index } }));
    const flow = await app.client.flows.group.mutate({ members, callback: { task: "test.sum" } });

    // Opened while its runs are going (the worker shares the machine's two cores with the browser),
    // then again once it has finished.
    const whileRunningMs = await msToRenderFlow(flow.id, 501, async (fresh) => {
      await expect
        .poll(() => fresh.locator('[data-testid="flow-node"][data-status="succeeded"]').count(), { timeout: 60_000 })
        .toBe(501);
      expect(await fresh.getByTestId("flow-progress-text").textContent()).toContain("501 / 501 finished");
      expect(await fresh.getByTestId("flow-status").textContent()).toBe("succeeded");
      await saveScreenshot(fresh, "flow-chord-500");
    });
    const finishedMs = await msToRenderFlow(flow.id, 501);
    console.info(
      `500-member chord, navigation to all 501 nodes rendered: ${whileRunningMs} ms while its runs were going, ` +
        `${finishedMs} ms once finished`,
    );
    expect(whileRunningMs).toBeLessThan(5_000);
    expect(finishedMs).toBeLessThan(5_000);
  });

  it("lists flows, filtered by status", async () => {
    await open("/flows?status=failed");
    const rows = page.getByTestId("flow-row");
    await rows.first().waitFor();
    const statuses = await rows.evaluateAll((items) =>
      items.map((item) => item.querySelector("[data-status]")?.getAttribute("data-status")),
    );
    expect(statuses.length).toBeGreaterThan(0);
    expect(new Set(statuses)).toEqual(new Set(["failed"]));
    await page.getByLabel("Status").selectOption("");
    await expect.poll(() => rows.count()).toBeGreaterThanOrEqual(4);
  });
});

describe("the schedules view", () => {
  it("previews an expression as it is typed, shows problems by their field, and creates the schedule", async () => {
    await open("/schedules");
    await page.getByRole("link", { name: "New schedule" }).click();
    await page.getByLabel("Name", { exact: true }).fill("weekday-report");
    await page.getByLabel("Timezone", { exact: true }).fill("Europe/Berlin");

    await page.getByLabel("Cron", { exact: true }).fill("61 * * * *");
    const cronError = page.locator('[data-field="cron"] [role="alert"]');
    await cronError.waitFor();
    expect(await cronError.textContent()).toMatch(/minute|61|range|invalid/i);

    await page.getByLabel("Cron", { exact: true }).fill("30 9 * * 1-5");
    const preview = page.getByTestId("schedule-preview");
    await expect.poll(() => preview.locator("li").count()).toBe(5);
    await expect.poll(() => cronError.count()).toBe(0);
    const description = await page.getByTestId("schedule-description").textContent();
    expect(description).toMatch(/09:30/);
    expect(description).toMatch(/Monday through Friday/);
    expect(description).toContain("Europe/Berlin");
    const times = await preview
      .locator("time")
      .evaluateAll((items) => items.map((item) => item.getAttribute("datetime")));
    const expected = await app.client.schedules.preview.query({ cron: "30 9 * * 1-5", timezone: "Europe/Berlin" });
    expect(times).toEqual(expected.next.map((date) => date.toISOString()));

    // test.add is not bundled with the UI, so only the server checks its input: its answer shows by the field.
    await page.getByLabel("Task", { exact: true }).selectOption("test.add");
    await page.getByLabel("value", { exact: true }).waitFor();
    await page.getByRole("button", { name: "Create schedule" }).click();
    const valueError = page.locator('[data-field="value"] [role="alert"]');
    await valueError.waitFor();
    expect(await valueError.textContent()).toMatch(/number|required|expected/i);
    await saveScreenshot(page, "schedule-form-errors");

    await page.getByLabel("value", { exact: true }).fill("41");
    await page.getByRole("button", { name: "Create schedule" }).click();
    await page.waitForURL(/#\/schedules\/[0-9a-f-]{36}$/);
    expect(await page.getByTestId("schedule-description").textContent()).toMatch(/Monday through Friday/);
    const { items } = await app.client.schedules.list.query({});
    expect(items.find((item) => item.name === "weekday-report")).toMatchObject({
      cron: "30 9 * * 1-5",
      timezone: "Europe/Berlin",
      enabled: true,
      target: { kind: "task", task: "test.add", input: { value: 41 } },
    });
  });

  it("pauses and resumes a schedule from the list", async () => {
    await app.client.schedules.create.mutate({
      name: "hourly-sleep",
      cron: "@hourly",
      target: { kind: "task", task: "conveyor.sleep", input: { ms: 10 } },
    });
    await open("/schedules");
    const row = page.locator('[data-testid="schedule-row"]', { hasText: "hourly-sleep" });
    await row.waitFor();
    expect(await row.getByTestId("schedule-state").textContent()).toBe("active");
    expect(await row.textContent()).toContain("Every hour");

    await row.getByRole("button", { name: "Pause hourly-sleep" }).click();
    await expect.poll(() => row.getByTestId("schedule-state").textContent()).toBe("paused");
    await expect.poll(() => row.getByTestId("schedule-next-fire").textContent()).toBe("—");
    await saveDocsScreenshot(page, "schedules");

    await row.getByRole("button", { name: "Resume hourly-sleep" }).click();
    await expect.poll(() => row.getByTestId("schedule-state").textContent()).toBe("active");
    const { items } = await app.client.schedules.list.query({});
    expect(items.find((item) => item.name === "hourly-sleep")).toMatchObject({ enabled: true });
    await saveScreenshot(page, "schedules");
  });

  it("edits a schedule's expression, previewing the new one", async () => {
    const schedule = await app.client.schedules.create.mutate({
      name: "nightly-noop",
      cron: "0 2 * * *",
      timezone: "UTC",
      target: { kind: "task", task: "test.add", input: { value: 1, add: 2 } },
    });
    await open(`/schedules/${schedule.id}/edit`);
    const cron = page.getByLabel("Cron", { exact: true });
    await expect.poll(() => cron.inputValue()).toBe("0 2 * * *");
    expect(await page.getByLabel("add", { exact: true }).inputValue()).toBe("2");
    await cron.fill("15 3 * * *");
    await expect.poll(() => page.getByTestId("schedule-description").textContent()).toMatch(/03:15/);
    await page.getByRole("button", { name: "Save schedule" }).click();
    await page.waitForURL(new RegExp(`#/schedules/${schedule.id}$`));
    expect(await page.getByTestId("schedule-cron").textContent()).toBe("15 3 * * *");
    expect(await app.client.schedules.get.query({ id: schedule.id })).toMatchObject({
      cron: "15 3 * * *",
      target: { input: { value: 1, add: 2 } },
    });
  });
});

describe("the workers view", () => {
  it("lists the test's worker as running, with its host, pid and concurrency", async () => {
    const [worker] = (await app.client.workers.list.query()).filter((candidate) => candidate.state === "running");
    if (!worker) throw new Error("the test conveyor has no running worker");
    await open("/workers");
    const row = page.locator(`[data-testid="worker-row"][data-worker-id="${worker.id}"]`);
    await row.waitFor();
    expect(await row.getByTestId("worker-state").getAttribute("data-state")).toBe("running");
    const text = await row.textContent();
    expect(text).toContain(worker.host);
    expect(text).toContain(String(worker.pid));
    expect(await row.getByTestId("worker-running").textContent()).toContain(`/ ${worker.concurrency}`);
    await saveDocsScreenshot(page, "workers");
  });
});

describe("the overview", () => {
  it("charts throughput, failure rate, queue depth and durations, and follows new failures live", async () => {
    await open("/overview");
    for (const chart of ["throughput", "failure-rate", "queue-depth", "durations"])
      await page.getByTestId(`chart-${chart}`).waitFor();
    await page.locator('[data-testid="chart-throughput"] .recharts-bar-rectangle').first().waitFor();
    const stats = await app.client.stats.overview.query({ windowMinutes: 60 });
    expect(stats.failureRate).toBeGreaterThan(0);
    await expect
      .poll(() => page.getByTestId("failure-rate").textContent())
      .toBe(`${(stats.failureRate * 100).toFixed(1)} %`);
    expect(await page.locator('[data-testid="durations-table"] tr[data-task="test.add"]').count()).toBe(1);
    await saveDocsScreenshot(page, "overview");
    await page.emulateMedia({ colorScheme: "dark" });
    await saveScreenshot(page, "overview-dark");
    await page.emulateMedia({ colorScheme: "light" });

    // A failure after the page has loaded moves the numbers without a reload.
    const failedBefore = stats.throughput.reduce((sum, row) => sum + row.failed, 0);
    const { id } = await app.client.runs.enqueue.mutate({ task: "test.refuses", input: {} });
    await waitForRun(database.url, id, (run) => run.status === "failed");
    await expect
      .poll(() => page.getByTestId("failure-counts").textContent(), { timeout: 10_000 })
      .toMatch(new RegExp(`^${failedBefore + 1} failed of`));
    await saveScreenshot(page, "overview");
  });
});

describe("a viewer", () => {
  it("reads flows and schedules without the buttons that would be refused", async () => {
    const viewer = await browser.newContext();
    const tab = await viewer.newPage();
    try {
      await signIn(tab, app.conveyor.url, app.tokens.viewer);
      const flow = await app.client.flows.chain.mutate({
        steps: [{ task: "conveyor.sleep", input: { ms: 60_000 } }],
      });
      await tab.goto(`${app.conveyor.url}/#/flows/${flow.id}`);
      await expect
        .poll(() => tab.locator('[data-testid="flow-node"]').getAttribute("data-status"), { timeout: 20_000 })
        .toBe("running");
      expect(await tab.getByRole("button", { name: "Cancel flow" }).count()).toBe(0);
      await app.client.flows.cancel.mutate({ id: flow.id });

      await tab.goto(`${app.conveyor.url}/#/schedules`);
      await tab.getByTestId("schedule-row").first().waitFor();
      expect(await tab.getByRole("link", { name: "New schedule" }).count()).toBe(0);
      expect(await tab.getByRole("button", { name: /^(Pause|Resume) / }).count()).toBe(0);
    } finally {
      await viewer.close();
    }
  });
});
