import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchBrowser, saveScreenshot, signIn } from "../fixtures/browser.js";
import { startFileConveyor } from "../fixtures/testConveyor.js";

const { app } = await startFileConveyor("e2e_live", { staticDir: inject("staticDir") });
let browser: Browser;
let page: Page;
const apiCalls: string[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
  page = await browser.newPage();
  page.on("request", (request) => {
    const match = /\/trpc\/([\w.,]+)/.exec(request.url());
    if (match?.[1]) apiCalls.push(match[1]);
  });
  await signIn(page, app.conveyor.url, app.tokens.operator);
});

afterAll(async () => {
  await browser?.close();
});

describe("the UI moves live, without polling", () => {
  it("a run enqueued elsewhere appears in the runs table and reaches its end without a reload", async () => {
    await page.goto(`${app.conveyor.url}/#/runs`);
    await page.getByText(/No runs yet/).waitFor();
    const listCallsBefore = apiCalls.filter((call) => call.includes("runs.list")).length;
    const { id } = await app.client.runs.enqueue.mutate({
      task: "report.generate",
      input: { userId: 9, failureRate: 0 },
    });
    const row = page.locator(`[data-testid="run-row"][data-run-id="${id}"]`);
    await row.waitFor();
    await expect.poll(async () => row.textContent(), { timeout: 20_000 }).toContain("succeeded");
    await saveScreenshot(page, "runs-live");
    // The row came by the feed; the listing was read again at most for the new run, not on a timer.
    expect(apiCalls.filter((call) => call.includes("runs.list")).length - listCallsBefore).toBeLessThanOrEqual(3);
  });

  it("the run page's progress bar and timeline follow the run's events", async () => {
    const { id } = await app.client.runs.enqueue.mutate({ task: "conveyor.sleep", input: { ms: 1_500 } });
    await page.goto(`${app.conveyor.url}/#/runs/${id}`);
    await expect.poll(() => page.getByTestId("run-status").textContent(), { timeout: 20_000 }).toBe("succeeded");
    const getCalls = apiCalls.filter((call) => call.includes("runs.get")).length;
    expect(getCalls).toBeLessThanOrEqual(6);
    const types = await page
      .locator('[data-testid="run-timeline"] [data-event-type]')
      .evaluateAll((items) => items.map((item) => item.getAttribute("data-event-type")));
    expect(types).toContain("run.started");
    expect(types).toContain("run.progress");
    expect(types.at(-1) === "run.succeeded" || types[0] === "run.succeeded").toBe(true);
    await saveScreenshot(page, "run-timeline");
  });
});
