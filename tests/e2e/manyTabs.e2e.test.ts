import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchBrowser, saveScreenshot, signIn } from "../fixtures/browser.js";
import { startFileConveyor, waitForRun } from "../fixtures/testConveyor.js";

const { database, app } = await startFileConveyor("e2e_many_tabs", { staticDir: inject("staticDir") });
let browser: Browser;
let context: BrowserContext;

/** How soon after the event every tab must show what it started and resumed. */
const liveWithinMs = 2_000;

beforeAll(async () => {
  browser = await launchBrowser();
  // One context, so its tabs share the origin's connections (six per host over HTTP/1.1) as a
  // browser's tabs do; its session cookie signs every tab in.
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const login = await context.newPage();
  await signIn(login, app.conveyor.url, app.tokens.operator);
  await login.close();
});

afterAll(async () => {
  await browser?.close();
});

/** The subscriptions the views open; over HTTP they would be event streams, one connection each. */
const subscriptionPaths = /\/trpc\/[\w.,]*(events\.feed|runs\.watch|flows\.watch)/;

/** One open tab and what it did on the wire. */
interface Tab {
  name: string;
  page: Page;
  /** The URL of every WebSocket the tab opened. */
  sockets: string[];
  /** Subscription requests sent, and the subscriptions the server said it started. */
  subscribed: number;
  started: number;
  /** Messages the tab's socket received, with when (ms since the epoch). */
  received: { at: number; text: string }[];
  /** Subscriptions asked for over HTTP (server-sent events) instead of the socket. */
  streamRequests: string[];
  errors: string[];
}

/** tRPC's socket messages, one or an array of them. */
function socketMessages(text: string): { method?: string; result?: { type?: string } }[] {
  try {
    const parsed: unknown = JSON.parse(text);
    return (Array.isArray(parsed) ? parsed : [parsed]).filter((item) => typeof item === "object" && item !== null);
  } catch {
    return []; // The keep-alive's PING and PONG.
  }
}

async function openTab(name: string, path: string): Promise<Tab> {
  const page = await context.newPage();
  const tab: Tab = {
    name,
    page,
    sockets: [],
    subscribed: 0,
    started: 0,
    received: [],
    streamRequests: [],
    errors: [],
  };
  page.on("websocket", (socket) => {
    tab.sockets.push(socket.url());
    socket.on("framesent", ({ payload }) => {
      if (typeof payload !== "string") return;
      tab.subscribed += socketMessages(payload).filter((message) => message.method === "subscription").length;
    });
    socket.on("framereceived", ({ payload }) => {
      if (typeof payload !== "string") return;
      tab.received.push({ at: Date.now(), text: payload });
      tab.started += socketMessages(payload).filter((message) => message.result?.type === "started").length;
    });
  });
  page.on("request", (request) => {
    if (request.resourceType() === "eventsource" || subscriptionPaths.test(request.url()))
      tab.streamRequests.push(request.url());
  });
  page.on("pageerror", (error) => tab.errors.push(`${name}: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") tab.errors.push(`${name}: ${message.text()}`);
  });
  await page.goto(`${app.conveyor.url}/#${path}`);
  return tab;
}

/**
 * Waits in the tab until `shownAt(ids)` returns the page's clock (`Date.now()`, the machine's, as
 * the test's) rather than false, at most until `deadline`: when the page showed it (one poll late
 * at most), or null if it did not in time.
 */
async function whenShown(
  tab: Tab,
  deadline: number,
  shownAt: (ids: string[]) => number | false,
  ids: string[] = [],
): Promise<number | null> {
  try {
    const at = await tab.page.waitForFunction(shownAt, ids, {
      // Playwright reads a timeout of 0 as none.
      timeout: Math.max(1, deadline - Date.now()),
      // Not every frame: ten tabs polling each frame take the two cores the pages need to render.
      polling: 50,
    });
    return (await at.jsonValue()) || null;
  } catch {
    return null;
  }
}

describe("ten tabs of the dashboard in one browser", () => {
  it("all load, each over one WebSocket, and every one shows what an event started and resumed, live, within 2 s", async () => {
    // Runs that wait for an approval, alone and as the first step of a chain whose second step
    // only starts after it: the approval will start the follow-up flow's new runs and resume these.
    const subject = "many-tabs";
    const waiting = await Promise.all(
      [1, 2, 3].map(async () => {
        const { id } = await app.client.runs.enqueue.mutate({ task: "approval.request", input: { subject } });
        return id;
      }),
    );
    const flow = await app.client.flows.chain.mutate({
      steps: [
        { task: "approval.request", input: { subject } },
        { task: "conveyor.noop", input: {} },
      ],
    });
    const [flowApproval, flowNoop] = flow.runIds as [string, string];
    for (const id of [...waiting, flowApproval]) await waitForRun(database.url, id, (run) => run.status === "waiting");

    const opened = Date.now();
    const tabs = await Promise.all([
      ...[1, 2, 3, 4].map((n) => openTab(`runs ${n}`, "/runs")),
      ...waiting.map((id, n) => openTab(`run ${n + 1}`, `/runs/${id}`)),
      ...[1, 2].map((n) => openTab(`flow ${n}`, `/flows/${flow.id}`)),
      openTab("overview", "/overview"),
    ]);
    const runsTabs = tabs.slice(0, 4);
    const runTabs = tabs.slice(4, 7);
    const flowTabs = tabs.slice(7, 9);
    const overviewTab = tabs[9] as Tab;

    // Every tab shows its view's content.
    const row = (page: Page, id: string) => page.locator(`[data-testid="run-row"][data-run-id="${id}"]`);
    const flowNode = (page: Page, id: string) => page.locator(`[data-testid="flow-node"][data-run-id="${id}"]`);
    await Promise.all([
      ...runsTabs.flatMap(({ page }) => [...waiting, flowApproval].map((id) => row(page, id).waitFor())),
      ...runTabs.map(async ({ page }, n) => {
        await expect.poll(() => page.getByTestId("run-status").textContent()).toBe("waiting");
        expect(await page.getByTestId("run-task").textContent()).toBe("approval.request");
        expect(await page.locator(".run-title-id").textContent()).toBe(waiting[n]);
      }),
      ...flowTabs.map(async ({ page }) => {
        await expect.poll(() => flowNode(page, flowApproval).getAttribute("data-status")).toBe("waiting");
        expect(await flowNode(page, flowNoop).getAttribute("data-status")).not.toBe("succeeded");
        expect(await page.getByTestId("flow-kind").textContent()).toBe("Chain");
      }),
      expect
        .poll(() => overviewTab.page.getByTestId("throughput-total").textContent())
        .toBe("0 finished in the last 60 min"),
    ]);
    // And every tab's subscriptions have started on its socket: from here on, it hears everything.
    for (const tab of tabs) await expect.poll(() => tab.started > 0 && tab.started === tab.subscribed).toBe(true);
    console.log(`10 tabs loaded and live in ${Date.now() - opened} ms`);

    const emittedAt = Date.now();
    const emitted = await app.client.events.emit.mutate({
      name: "approval.decided",
      payload: { subject, approved: true, by: "many-tabs test" },
    });
    expect(new Set(emitted.resumedRunIds)).toEqual(new Set([...waiting, flowApproval]));
    const followUpId = emitted.flows[0]?.id ?? "";
    // The follow-up flow's first run, enqueued by the event.
    const newRunId = (await app.client.flows.get.query({ id: followUpId })).runs[0]?.id ?? "";
    expect(newRunId).not.toBe("");

    const deadline = emittedAt + liveWithinMs;
    const seen = await Promise.all([
      // The new run's row appears in every runs list.
      ...runsTabs.map((tab) =>
        whenShown(
          tab,
          deadline,
          ([id]) => document.querySelector(`[data-testid="run-row"][data-run-id="${id}"]`) !== null && Date.now(),
          [newRunId],
        ),
      ),
      // Each run page shows its run resumed and finished: the status the page reads again after
      // an event, and the timeline only the run's stream fills.
      ...runTabs.map((tab) =>
        whenShown(
          tab,
          deadline,
          () =>
            document.querySelector('[data-testid="run-status"]')?.textContent === "succeeded" &&
            document.querySelector('[data-testid="run-timeline"] [data-event-type="run.succeeded"]') !== null &&
            Date.now(),
        ),
      ),
      // Each flow page shows the approval step done, and the step that only started after it done too.
      ...flowTabs.map((tab) =>
        whenShown(
          tab,
          deadline,
          (ids) =>
            ids.every(
              (id) =>
                document
                  .querySelector(`[data-testid="flow-node"][data-run-id="${id}"]`)
                  ?.getAttribute("data-status") === "succeeded",
            ) && Date.now(),
          [flowApproval, flowNoop],
        ),
      ),
      // The overview reads its numbers again when the feed reports runs finishing.
      whenShown(
        overviewTab,
        deadline,
        () => !document.querySelector('[data-testid="throughput-total"]')?.textContent?.startsWith("0 ") && Date.now(),
      ),
    ]);
    const latencies = seen.map((at, n) => ({ tab: tabs[n]?.name, ms: at === null ? null : at - emittedAt }));
    console.log(latencies.map(({ tab, ms }) => `${tab}: ${ms === null ? "not shown" : `${ms} ms`}`).join(", "));
    expect(latencies.filter(({ ms }) => ms === null || ms > liveWithinMs)).toEqual([]);
    await saveScreenshot((runsTabs[0] as Tab).page, "many-tabs-runs");

    // It came over each tab's one socket: a message after the event names a run it started or resumed.
    const named = [newRunId, ...waiting, flowApproval, flowNoop];
    for (const tab of tabs) {
      const heard = tab.received.filter(({ at, text }) => at >= emittedAt && named.some((id) => text.includes(id)));
      expect(heard.length, `${tab.name} heard the event's runs on its socket`).toBeGreaterThan(0);
    }
    expect(tabs.map((tab) => tab.sockets)).toEqual(tabs.map(() => [`${app.conveyor.url?.replace("http", "ws")}/trpc`]));
    expect(tabs.flatMap((tab) => tab.streamRequests)).toEqual([]);
    expect(tabs.flatMap((tab) => tab.errors)).toEqual([]);
  });
});
