import type { Run } from "@conveyor/shared";
import pg from "pg";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { launchBrowser, saveDocsScreenshot, saveScreenshot, signIn } from "../fixtures/browser.js";
import { isFinished, isRunning, startFileConveyor, waitForRun } from "../fixtures/testConveyor.js";

const staticDir = inject("staticDir");

const { database, app } = await startFileConveyor("e2e_runs", { staticDir });
let browser: Browser;
let page: Page;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

beforeEach(async () => {
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
});

afterEach(async () => {
  await page.close();
});

async function open(hashPath: string): Promise<void> {
  await page.goto(`${app.conveyor.url}/#${hashPath}`);
}

/** The run ids of the rows in the DOM, top to bottom. */
function shownRunIds(): Promise<(string | null)[]> {
  return page.getByTestId("run-row").evaluateAll((rows) => rows.map((row) => row.getAttribute("data-run-id")));
}

function hashQuery(): URLSearchParams {
  const hash = new URL(page.url()).hash;
  const start = hash.indexOf("?");
  return new URLSearchParams(start === -1 ? "" : hash.slice(start + 1));
}

function settled(id: string): Promise<Run> {
  return waitForRun(database.url, id, isFinished, 20_000);
}

/** A run that fails its only attempt (and succeeds when given another). */
async function failedFlakyRun(): Promise<string> {
  const { id } = await app.client.runs.enqueue.mutate({
    task: "test.flaky",
    input: { failures: 1 },
    options: { maxAttempts: 1 },
  });
  expect((await settled(id)).status).toBe("failed");
  return id;
}

describe("the runs table", () => {
  it("filters by status, task, queue and time; the URL holds them, and a reload keeps them", async () => {
    const noop = await app.client.runs.enqueue.mutate({ task: "conveyor.noop", input: { filter: "test" } });
    const refused = await app.client.runs.enqueue.mutate({ task: "test.refuses", input: {} });
    const queued = await app.client.runs.enqueue.mutate({
      task: "test.add",
      input: { value: 1 },
      options: { queue: "lane-a" },
    });
    await Promise.all([noop.id, refused.id, queued.id].map(settled));

    await signIn(page, app.conveyor.url, app.tokens.operator);
    await open("/runs");
    await page.locator(`[data-testid="run-row"][data-run-id="${noop.id}"]`).waitFor();

    await page.getByLabel("Status", { exact: true }).selectOption("failed");
    await page.getByLabel("Task", { exact: true }).selectOption("test.refuses");
    await expect.poll(() => hashQuery().get("status")).toBe("failed");
    await expect.poll(() => hashQuery().get("task")).toBe("test.refuses");
    await expect.poll(shownRunIds).toEqual([refused.id]);
    await saveScreenshot(page, "runs-filtered");

    await page.reload();
    await expect.poll(shownRunIds).toEqual([refused.id]);
    expect(await page.getByLabel("Status", { exact: true }).inputValue()).toBe("failed");
    expect(await page.getByLabel("Task", { exact: true }).inputValue()).toBe("test.refuses");

    await page.getByRole("button", { name: "Clear filters" }).click();
    await expect.poll(() => hashQuery().toString()).toBe("");
    await page.getByLabel("Queue", { exact: true }).fill("lane-a");
    await expect.poll(() => hashQuery().get("queue")).toBe("lane-a");
    await expect.poll(shownRunIds).toEqual([queued.id]);

    // A preset is relative to when the link is opened, so it stays a preset in the URL.
    await page.getByLabel("Created", { exact: true }).selectOption("15m");
    await expect.poll(() => hashQuery().get("after")).toBe("15m");
    await expect.poll(shownRunIds).toEqual([queued.id]);

    await page.getByLabel("Queue", { exact: true }).fill("");
    await expect.poll(() => hashQuery().get("queue")).toBeNull();
    await page.getByLabel("Created", { exact: true }).selectOption("custom");
    await page.getByLabel("Created before", { exact: true }).fill("2020-01-01T00:00");
    await expect.poll(() => hashQuery().get("before")).toMatch(/^20(19|20)-/);
    await page.getByText("No runs match these filters.").waitFor();
    await page.reload();
    await page.getByText("No runs match these filters.").waitFor();
    expect(await page.getByLabel("Created before", { exact: true }).inputValue()).toBe("2020-01-01T00:00");
    await saveScreenshot(page, "runs-no-match");
  });

  it("finds a run by its id, or by its idempotency key", async () => {
    const target = await app.client.runs.enqueue.mutate({ task: "conveyor.noop", input: { find: "me" } });
    const keyed = await app.client.runs.enqueue.mutate({
      task: "conveyor.noop",
      input: { find: "by key" },
      options: { idempotencyKey: "search-by-this-key" },
    });
    await signIn(page, app.conveyor.url, app.tokens.viewer);
    await open("/runs");
    await page.getByTestId("run-row").first().waitFor();

    await page.getByLabel("Search", { exact: true }).fill(target.id);
    await expect.poll(() => hashQuery().get("q")).toBe(target.id);
    await expect.poll(shownRunIds).toEqual([target.id]);

    await page.getByLabel("Search", { exact: true }).fill("search-by-this-key");
    await expect.poll(shownRunIds).toEqual([keyed.id]);
    await saveScreenshot(page, "runs-search");
  });

  it("retries the selected failed runs at once and says how many it retried", async () => {
    const ids = [await failedFlakyRun(), await failedFlakyRun(), await failedFlakyRun()];
    await signIn(page, app.conveyor.url, app.tokens.operator);
    await open("/runs?task=test.flaky&status=failed");
    for (const id of ids) await page.locator(`[data-testid="run-row"][data-run-id="${id}"]`).waitFor();

    for (const id of ids) await page.getByLabel(`Select run ${id}`, { exact: true }).check();
    expect(await page.getByTestId("selected-count").textContent()).toBe("3 selected");
    await saveScreenshot(page, "runs-selected");
    await page.getByRole("button", { name: "Retry selected" }).click();

    await expect.poll(() => page.getByTestId("bulk-result").textContent()).toBe("Retried 3 runs.");
    // The rows follow by the live feed, without a reload.
    for (const id of ids) {
      const row = page.locator(`[data-testid="run-row"][data-run-id="${id}"]`);
      await expect.poll(() => row.textContent(), { timeout: 20_000 }).toContain("succeeded");
    }
    for (const id of ids) expect((await settled(id)).status).toBe("succeeded");
    await saveScreenshot(page, "runs-bulk-retried");

    // A selection for the docs: the unfiltered table with two runs picked.
    await open("/runs");
    await page.locator(`[data-testid="run-row"][data-run-id="${ids[0]}"]`).waitFor();
    await page.getByLabel(`Select run ${ids[0]}`, { exact: true }).check();
    await page.getByLabel(`Select run ${ids[1]}`, { exact: true }).check();
    await saveDocsScreenshot(page, "runs");
  });
});

describe("acting on one run", () => {
  it("cancels a running run from its page", async () => {
    const { id } = await app.client.runs.enqueue.mutate({ task: "conveyor.sleep", input: { ms: 30_000 } });
    await waitForRun(database.url, id, isRunning);
    await signIn(page, app.conveyor.url, app.tokens.operator);
    await open(`/runs/${id}`);
    await expect.poll(() => page.getByTestId("run-status").textContent()).toBe("running");
    expect(await page.getByRole("button", { name: "Retry run" }).count()).toBe(0);

    await page.getByRole("button", { name: "Cancel run", exact: true }).click();
    await expect.poll(() => page.getByTestId("run-status").textContent()).toBe("cancelled");
    await page.locator('[data-testid="run-timeline"] [data-event-type="run.cancelled"]').waitFor();
    expect(await page.getByRole("button", { name: "Cancel run" }).count()).toBe(0);
    expect((await app.client.runs.get.query({ id })).status).toBe("cancelled");
    await saveScreenshot(page, "run-cancelled");
  });

  it("retries a failed run from its page and follows it to success", async () => {
    const id = await failedFlakyRun();
    await signIn(page, app.conveyor.url, app.tokens.operator);
    await open(`/runs/${id}`);
    await expect.poll(() => page.getByTestId("run-status").textContent()).toBe("failed");

    await page.getByRole("button", { name: "Retry run", exact: true }).click();
    // The page follows the retried run live: its ended event stream starts over.
    await expect.poll(() => page.getByTestId("run-status").textContent(), { timeout: 20_000 }).toBe("succeeded");
    await page.locator('[data-testid="run-timeline"] [data-event-type="run.succeeded"]').waitFor();
    expect((await app.client.runs.get.query({ id })).status).toBe("succeeded");
    await saveScreenshot(page, "run-retried");
  });

  it("re-runs with an edited input, checked in the browser, and links the new run to the old", async () => {
    const { id } = await app.client.runs.enqueue.mutate({
      task: "report.generate",
      input: { userId: 7, failureRate: 0 },
    });
    await settled(id);
    await signIn(page, app.conveyor.url, app.tokens.operator);
    await open(`/runs/${id}`);
    await page.getByRole("button", { name: "Re-run", exact: true }).click();
    const form = page.getByTestId("rerun-form");
    const userId = form.getByLabel("userId", { exact: true });
    await expect.poll(() => userId.inputValue()).toBe("7");

    await userId.fill("0");
    await form.getByRole("button", { name: "Enqueue re-run" }).click();
    const error = form.locator('[data-field="userId"] [role="alert"]');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/too small/i);
    expect(page.url()).toContain(id);
    await saveScreenshot(page, "rerun-form-error");

    await userId.fill("8");
    await form.getByRole("button", { name: "Enqueue re-run" }).click();
    await page.waitForURL((url) => /#\/runs\/[0-9a-f-]{36}$/.test(url.hash) && !url.hash.includes(id));
    const newId = new URL(page.url()).hash.split("/").at(-1) ?? "";
    expect(await page.getByTestId("run-rerun-of").textContent()).toBe(id);
    await expect.poll(() => page.getByTestId("run-status").textContent(), { timeout: 20_000 }).toBe("succeeded");
    expect(await app.client.runs.get.query({ id: newId })).toMatchObject({
      rerunOf: id,
      input: { userId: 8, failureRate: 0 },
    });
    await saveScreenshot(page, "rerun");
    await saveDocsScreenshot(page, "run");

    await page.getByTestId("run-rerun-of").click();
    await page.waitForURL((url) => url.hash === `#/runs/${id}`);
  });

  it("a viewer sees no actions: no cancel, retry, re-run, checkboxes or bulk buttons", async () => {
    const failed = await failedFlakyRun();
    const running = await app.client.runs.enqueue.mutate({ task: "conveyor.sleep", input: { ms: 30_000 } });
    await waitForRun(database.url, running.id, isRunning);
    await signIn(page, app.conveyor.url, app.tokens.viewer);

    await open("/runs");
    await page.locator(`[data-testid="run-row"][data-run-id="${failed}"]`).waitFor();
    expect(await page.getByRole("checkbox").count()).toBe(0);
    expect(await page.getByRole("button", { name: /selected/ }).count()).toBe(0);

    for (const id of [failed, running.id]) {
      await open(`/runs/${id}`);
      await page.getByTestId("run-status").waitFor();
      for (const name of ["Cancel run", "Retry run", "Re-run"])
        expect(await page.getByRole("button", { name, exact: true }).count()).toBe(0);
    }
    await saveScreenshot(page, "run-viewer");
    await app.client.runs.cancel.mutate({ id: running.id });
  });
});

describe("enqueueing with options, and flows", () => {
  it("enqueues with a priority and an idempotency key; the same key lands on the same run", async () => {
    await signIn(page, app.conveyor.url, app.tokens.operator);
    await open("/enqueue/test.add");
    await page.getByLabel("value", { exact: true }).fill("1");
    await page.getByText("Options", { exact: true }).click();
    await page.getByLabel("Priority", { exact: true }).fill("5000");
    await page.getByRole("button", { name: "Enqueue", exact: true }).click();
    const priorityError = page.locator('[data-field="options.priority"] [role="alert"]');
    await priorityError.waitFor();
    expect(await priorityError.textContent()).toMatch(/too big|1000/i);

    await page.getByLabel("Priority", { exact: true }).fill("5");
    await page.getByLabel("Idempotency key", { exact: true }).fill("order-42");
    await saveScreenshot(page, "enqueue-options");
    await page.getByRole("button", { name: "Enqueue", exact: true }).click();
    await page.waitForURL(/#\/runs\/[0-9a-f-]{36}$/);
    const first = new URL(page.url()).hash.split("/").at(-1) ?? "";
    expect(await app.client.runs.get.query({ id: first })).toMatchObject({
      priority: 5,
      idempotencyKey: "order-42",
      input: { value: 1 },
    });

    await open("/enqueue/test.add");
    await page.getByLabel("value", { exact: true }).fill("2");
    await page.getByText("Options", { exact: true }).click();
    await page.getByLabel("Idempotency key", { exact: true }).fill("order-42");
    await page.getByRole("button", { name: "Enqueue", exact: true }).click();
    await page.waitForURL((url) => url.hash === `#/runs/${first}`);
  });

  it("builds a chain of two test.add steps and lands on the flow's page", async () => {
    await signIn(page, app.conveyor.url, app.tokens.operator);
    await open("/enqueue-flow");
    const steps = page.getByTestId("flow-step");
    await steps.first().getByLabel("Task", { exact: true }).selectOption("test.add");
    await steps.first().getByLabel("value", { exact: true }).fill("1");
    await steps.nth(1).getByLabel("Task", { exact: true }).selectOption("test.add");
    expect(await steps.nth(1).getByLabel("Use the previous step's output as input").isChecked()).toBe(true);
    await saveScreenshot(page, "flow-builder");
    await page.getByRole("button", { name: "Enqueue chain" }).click();

    await page.waitForURL((url) => /^#\/flows\/[0-9a-f-]{36}$/.test(url.hash));
    const flowId = new URL(page.url()).hash.split("/").at(-1) ?? "";
    await expect
      .poll(async () => (await app.client.flows.get.query({ id: flowId })).status, { timeout: 20_000 })
      .toBe("succeeded");
    const flow = await app.client.flows.get.query({ id: flowId });
    expect(flow.runs.map((run) => run.task)).toEqual(["test.add", "test.add"]);
    const last = await app.client.runs.get.query({ id: flow.runs[1]?.id ?? "" });
    expect(last.output).toEqual({ value: 3 });
  });
  it("builds a group with a callback (a chord) that sums the members' outputs", async () => {
    await signIn(page, app.conveyor.url, app.tokens.operator);
    await open("/enqueue-flow");
    await page.getByRole("radio", { name: /^Group/ }).check();
    const members = page.getByTestId("flow-step");
    for (const [index, value] of ["1", "2"].entries()) {
      await members.nth(index).getByLabel("Task", { exact: true }).selectOption("test.add");
      await members.nth(index).getByLabel("value", { exact: true }).fill(value);
    }
    const callback = page.getByTestId("flow-callback");
    await callback.getByLabel(/Run a callback/).check();
    await callback.getByLabel("Callback task", { exact: true }).selectOption("test.sum");
    await saveScreenshot(page, "flow-builder-chord");
    await page.getByRole("button", { name: "Enqueue group" }).click();

    await page.waitForURL((url) => /^#\/flows\/[0-9a-f-]{36}$/.test(url.hash));
    const flowId = new URL(page.url()).hash.split("/").at(-1) ?? "";
    await expect
      .poll(async () => (await app.client.flows.get.query({ id: flowId })).status, { timeout: 20_000 })
      .toBe("succeeded");
    const flow = await app.client.flows.get.query({ id: flowId });
    const sum = flow.runs.find((run) => run.task === "test.sum");
    expect(await app.client.runs.get.query({ id: sum?.id ?? "" })).toMatchObject({ output: { total: 5, count: 2 } });
  });
});

describe("at scale", () => {
  it("shows the first page of 100,000 runs within a second, and renders few rows while scrolling 2,000", async () => {
    const pool = new pg.Pool({ connectionString: database.url, max: 1 });
    try {
      // UUIDv7-like ids made from each row's creation time, so id order is time order as for real runs.
      await pool.query(`
        insert into runs (id, task, status, input, max_attempts, timeout_ms, created_at, finished_at)
        select (lpad(to_hex(ms), 12, '0') || '7' || substr(md5(random()::text), 1, 3)
                || '8' || substr(md5(random()::text), 1, 15))::uuid,
               'seed.bulk', 'succeeded', jsonb_build_object('n', n), 1, 60000,
               to_timestamp(ms / 1000.0), to_timestamp(ms / 1000.0)
        from (select n, (extract(epoch from now()) * 1000)::bigint - 3600000 - n * 10 as ms
              from generate_series(1, 100000) as n) as seeded
      `);
    } finally {
      await pool.end();
    }

    await signIn(page, app.conveyor.url, app.tokens.operator);
    await page.locator('[data-task="test.add"]').waitFor();
    const firstRowMs = await page.evaluate(
      () =>
        new Promise<number>((resolve) => {
          const start = performance.now();
          const observer = new MutationObserver(() => {
            if (!document.querySelector('[data-testid="run-row"]')) return;
            observer.disconnect();
            resolve(performance.now() - start);
          });
          observer.observe(document.body, { childList: true, subtree: true });
          location.hash = "#/runs";
        }),
    );
    console.log(`first run row with 100,000 runs: ${firstRowMs.toFixed(0)} ms`);
    expect(firstRowMs).toBeLessThanOrEqual(1_000);
    await saveScreenshot(page, "runs-100k");

    const loaded = async () => Number(await page.getByTestId("runs-loaded").getAttribute("data-count"));
    const rendered = () => page.getByTestId("run-row").count();
    const scroller = page.getByTestId("runs-scroll");
    let mostRendered = await rendered();
    while ((await loaded()) < 2_000) {
      const before = await loaded();
      await scroller.evaluate((element) => {
        element.scrollTop = element.scrollHeight;
      });
      await expect.poll(loaded).toBeGreaterThan(before);
      mostRendered = Math.max(mostRendered, await rendered());
    }
    // Back through the loaded rows in big jumps; each position renders only what is in view.
    const scrollHeight = await scroller.evaluate((element) => element.scrollHeight);
    for (let top = scrollHeight; top >= 0; top -= 7_919) {
      await scroller.evaluate((element, to) => {
        element.scrollTop = to;
      }, top);
      await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
      mostRendered = Math.max(mostRendered, await rendered());
    }
    const total = await loaded();
    console.log(`rows loaded: ${total}; most run rows in the DOM while scrolling: ${mostRendered}`);
    expect(total).toBeGreaterThanOrEqual(2_000);
    expect(mostRendered).toBeLessThanOrEqual(60);

    // Scrolled down, a run arriving at the top does not move the rows the reader is looking at.
    await scroller.evaluate((element) => {
      element.scrollTop = 20_000;
    });
    const topRow = () =>
      scroller.evaluate((element) => {
        const top = element.getBoundingClientRect().top + 60;
        const rows = [...element.querySelectorAll<HTMLElement>('[data-testid="run-row"]')];
        const row = rows.find((candidate) => candidate.getBoundingClientRect().bottom > top);
        return { id: row?.dataset.runId, offset: Math.round((row?.getBoundingClientRect().top ?? 0) - top) };
      });
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    const before = await topRow();
    const arrival = await app.client.runs.enqueue.mutate({ task: "conveyor.noop", input: { arrives: "above" } });
    const newest = () => page.getByTestId("runs-loaded").getAttribute("data-newest-id");
    await expect.poll(newest, { timeout: 15_000 }).toBe(arrival.id);
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    expect(await topRow()).toEqual(before);
    await saveScreenshot(page, "runs-scrolled");
    await scroller.evaluate((element) => {
      element.scrollTop = 0;
    });
    await expect.poll(async () => (await shownRunIds())[0]).toBe(arrival.id);
  });
});
