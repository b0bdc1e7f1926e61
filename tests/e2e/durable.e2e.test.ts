import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { launchBrowser, saveScreenshot, signIn } from "../fixtures/browser.js";
import { startFileConveyor, waitForRun } from "../fixtures/testConveyor.js";

const staticDir = inject("staticDir");

const { database, app } = await startFileConveyor("e2e_durable", { staticDir });
let browser: Browser;
let page: Page;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

beforeEach(async () => {
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
});

afterEach(async () => {
  await page.close();
});

function stepRow(name: string) {
  return page.locator(`[data-testid="run-step"][data-step="${name}"]`);
}

describe("a run waiting for an event", () => {
  it("shows why it waits, and an operator completes its wait from a form of the event's payload", async () => {
    const { id } = await app.client.runs.enqueue.mutate({
      task: "approval.request",
      input: { subject: "ui-approval" },
    });
    await waitForRun(database.url, id, (run) => run.status === "waiting");

    await signIn(page, app.conveyor.url, app.tokens.operator);
    await page.goto(`${app.conveyor.url}/#/runs/${id}`);

    await expect.poll(() => page.getByTestId("run-status").textContent()).toBe("waiting");
    const reason = page.getByTestId("run-waiting-reason");
    await expect
      .poll(() => reason.textContent())
      .toMatch(/^Waiting for event approval\.decided at step “decision” until .+\(in (23|24) hours\)$/);
    await expect.poll(() => stepRow("request").getAttribute("data-status")).toBe("completed");
    expect(await stepRow("request").getByTestId("run-step-output").textContent()).toContain('"attempt": 1');
    expect(await stepRow("decision").getByTestId("run-step-status").textContent()).toBe("waiting");
    expect(await stepRow("decision").textContent()).toContain("deadline");

    // The form is the event's payload; the subject the wait matches on is filled in already.
    const form = page.getByRole("form", { name: "Complete step decision" });
    expect(await form.getByLabel("subject", { exact: true }).inputValue()).toBe("ui-approval");
    await saveScreenshot(page, "durable-waiting");

    // Checked in the browser with the event's own schema: `by` may not be empty.
    await form.getByRole("button", { name: "Complete decision" }).click();
    await form.locator('[data-field="by"] [role="alert"]').waitFor();
    expect((await app.client.runs.steps.query({ id })).find((step) => step.name === "decision")?.status).toBe(
      "waiting",
    );

    await form.getByLabel("approved", { exact: true }).check();
    await form.getByLabel("by", { exact: true }).fill("ops");
    await form.getByRole("button", { name: "Complete decision" }).click();

    await expect.poll(() => page.getByTestId("run-status").textContent(), { timeout: 20_000 }).toBe("succeeded");
    const output = JSON.parse((await page.getByTestId("run-output").textContent()) ?? "null");
    expect(output).toMatchObject({ subject: "ui-approval", approved: true, decidedBy: "ops", requestedOnAttempt: 1 });
    // The steps followed the run's events: the wait holds the payload that completed it, and the form is gone.
    await expect.poll(() => stepRow("decision").getAttribute("data-status")).toBe("completed");
    const decision = JSON.parse((await stepRow("decision").getByTestId("run-step-output").textContent()) ?? "null");
    expect(decision).toEqual({ subject: "ui-approval", approved: true, by: "ops" });
    expect(await page.getByTestId("waitpoint-form").count()).toBe(0);
    expect(await page.getByTestId("run-waiting-reason").count()).toBe(0);
    await saveScreenshot(page, "durable-completed");
  });
});

describe("pausing a task", () => {
  it("pauses a task from the task list, shows it paused, and resumes it", async () => {
    await signIn(page, app.conveyor.url, app.tokens.operator);
    await page.goto(`${app.conveyor.url}/#/`);
    const item = page.locator('[data-task-item="conveyor.noop"]');

    await item.getByRole("button", { name: "Pause conveyor.noop" }).click();
    await item.getByTestId("task-paused").waitFor();
    expect(await item.getByTestId("task-paused").textContent()).toBe("paused");
    expect(await app.client.pauses.list.query()).toMatchObject([
      { kind: "task", name: "conveyor.noop", pausedBy: "test operator" },
    ]);
    await saveScreenshot(page, "durable-task-paused");

    // What is paused survives a reload: the list is the server's.
    await page.reload();
    await item.getByRole("button", { name: "Resume conveyor.noop" }).click();
    await item.getByRole("button", { name: "Pause conveyor.noop" }).waitFor();
    expect(await item.getByTestId("task-paused").count()).toBe(0);
    expect(await app.client.pauses.list.query()).toEqual([]);
  });
});
