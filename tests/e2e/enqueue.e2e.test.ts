import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { launchBrowser, saveScreenshot, signIn } from "../fixtures/browser.js";
import { startFileConveyor } from "../fixtures/testConveyor.js";

const staticDir = inject("staticDir");

const { app } = await startFileConveyor("e2e_enqueue", { staticDir });
let browser: Browser;
let page: Page;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

beforeEach(async () => {
  page = await browser.newPage();
});

afterEach(async () => {
  await page.close();
});

describe("enqueueing from the form", () => {
  it("enqueues report.generate and shows it reach succeeded with progress 5/5", async () => {
    await signIn(page, app.conveyor.url, app.tokens.operator);
    await page.locator('[data-task="report.generate"]').click();
    await page.getByLabel("userId", { exact: true }).fill("42");
    await page.getByLabel("failureRate", { exact: true }).fill("0");
    await page.getByRole("button", { name: "Enqueue", exact: true }).click();

    await page.waitForURL(/#\/runs\/[0-9a-f-]{36}$/);
    await expect.poll(() => page.getByTestId("run-status").textContent(), { timeout: 20_000 }).toBe("succeeded");
    expect(await page.getByTestId("run-progress-text").textContent()).toContain("5/5");
    expect(await page.getByTestId("run-progress").getAttribute("aria-valuenow")).toBe("5");
    expect(await page.getByTestId("run-output").textContent()).toContain("/reports/42/");
    await saveScreenshot(page, "run-succeeded");

    const runId = page.url().split("/").at(-1) ?? "";
    const run = await app.client.runs.get.query({ id: runId });
    expect(run).toMatchObject({ status: "succeeded", input: { userId: 42, failureRate: 0 } });
  });

  it("shows each invalid field's problem beside it and enqueues nothing", async () => {
    await signIn(page, app.conveyor.url, app.tokens.operator);
    const before = (await app.client.runs.list.query({})).items.length;
    await page.locator('[data-task="report.generate"]').click();
    await page.getByLabel("userId", { exact: true }).fill("0");
    await page.getByLabel("failureRate", { exact: true }).fill("3");
    await page.getByRole("button", { name: "Enqueue", exact: true }).click();

    const userIdError = page.locator('[data-field="userId"] [role="alert"]');
    await userIdError.waitFor();
    expect(await userIdError.textContent()).toMatch(/too small/i);
    expect(await page.locator('[data-field="failureRate"] [role="alert"]').textContent()).toMatch(/too big/i);
    await saveScreenshot(page, "form-errors");
    expect((await app.client.runs.list.query({})).items.length).toBe(before);
  });
});

describe("signing in and roles", () => {
  it("the login link signs in, and signing out ends the session", async () => {
    await signIn(page, app.conveyor.url, app.tokens.admin);
    expect(await page.getByTestId("session").textContent()).toContain("admin");
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("Token").waitFor();
    // The session is gone on the server side too: a reload does not bring it back.
    await page.reload();
    await page.getByLabel("Token").waitFor();
    expect(await page.getByTestId("session").count()).toBe(0);
    await saveScreenshot(page, "signed-out");
  });

  it("a bad login link lands on the sign-in page with an error", async () => {
    await page.goto(`${app.conveyor.url}/login?token=cvy_wrong`);
    await page.getByLabel("Token").waitFor();
    expect(await page.getByRole("alert").first().textContent()).toBe(
      "That sign-in link holds no valid token; it may have been revoked.",
    );
  });

  it("a viewer sees the runs but no enqueue controls anywhere", async () => {
    await app.client.runs.enqueue.mutate({ task: "conveyor.noop", input: { seen: "by a viewer" } });
    await signIn(page, app.conveyor.url, app.tokens.viewer);
    await page.getByTestId("run-row").first().waitFor();
    expect(await page.getByRole("button", { name: "Enqueue" }).count()).toBe(0);
    expect(await page.getByRole("link", { name: "Enqueue" }).count()).toBe(0);
    await page.goto(`${app.conveyor.url}/#/enqueue/report.generate`);
    await page.getByText(/cannot enqueue|can read runs but not enqueue/i).waitFor();
    expect(await page.getByRole("button", { name: "Enqueue" }).count()).toBe(0);
    expect(await page.getByLabel("userId", { exact: true }).count()).toBe(0);
    await saveScreenshot(page, "viewer");
  });
});
