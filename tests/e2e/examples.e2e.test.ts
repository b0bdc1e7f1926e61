import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import type { Browser, Page, Request } from "playwright-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchBrowser, saveDocsScreenshot, saveScreenshot, signIn } from "../fixtures/browser.js";
import { type ExampleWorker, startExampleWorker } from "../fixtures/exampleWorker.js";
import { startFileConveyor } from "../fixtures/testConveyor.js";

const storageDir = await mkdtemp(join(tmpdir(), "conveyor-e2e-images-"));
// The API here, the bundled tasks in a worker of their own, as in images.int.test.ts: that
// worker's report.generate writes the reports table, which the test tasks' version does not.
const { database, app } = await startFileConveyor("e2e_examples", {
  staticDir: inject("staticDir"),
  worker: false,
  env: { STORAGE_DIR: storageDir },
});
let worker: ExampleWorker;
let browser: Browser;
let page: Page;
let filesDir: string;

beforeAll(async () => {
  filesDir = await mkdtemp(join(tmpdir(), "conveyor-e2e-files-"));
  worker = await startExampleWorker(database.url, { storageDir });
  browser = await launchBrowser();
  page = await browser.newPage();
  await signIn(page, app.conveyor.url, app.tokens.operator);
});

afterAll(async () => {
  await browser?.close();
  await worker?.close();
  await rm(storageDir, { recursive: true, force: true });
  if (filesDir) await rm(filesDir, { recursive: true, force: true });
});

/** Image rows in the database and directories in the store: what an upload leaves behind. */
async function storedImages(): Promise<{ rows: number; directories: number }> {
  const result = await app.conveyor.db.execute<{ count: number }>(sql`select count(*)::int as count from images`);
  return { rows: result.rows[0]?.count ?? -1, directories: (await readdir(storageDir)).length };
}

describe("the users example", () => {
  it("registers a user and follows the welcome email's run to succeeded", async () => {
    await page.goto(`${app.conveyor.url}/#/examples/users`);
    await page.getByText("No users yet.").waitFor();
    await page.getByLabel("Username", { exact: true }).fill("ada");
    await page.getByLabel("Email", { exact: true }).fill("ada@example.com");
    await page.getByRole("button", { name: "Register", exact: true }).click();

    const row = page.locator('[data-testid="user-row"][data-username="ada"]');
    await row.waitFor();
    await expect
      .poll(() => row.getByTestId("welcome-email-status").textContent(), { timeout: 20_000 })
      .toBe("succeeded");
    const { items } = await app.client.users.list.query({});
    expect(items.map((user) => user.email)).toEqual(["ada@example.com"]);
    await saveDocsScreenshot(page, "examples-users", { fullPage: true });
  });

  it("shows a taken email by the Email field and registers nobody", async () => {
    await page.getByLabel("Username", { exact: true }).fill("ada2");
    await page.getByLabel("Email", { exact: true }).fill("ADA@example.com");
    await page.getByRole("button", { name: "Register", exact: true }).click();

    const alert = page.locator('[data-field="email"] [role="alert"]');
    await alert.waitFor();
    expect(await alert.textContent()).toContain("already exists");
    expect(await page.locator('[data-field="username"] [role="alert"]').count()).toBe(0);
    const { items } = await app.client.users.list.query({});
    expect(items).toHaveLength(1);
    await saveScreenshot(page, "examples-users-duplicate-email");
  });

  it("deletes a user from its row", async () => {
    await page.getByRole("button", { name: "Delete ada", exact: true }).click();
    await page.getByText("No users yet.").waitFor();
    const { items } = await app.client.users.list.query({});
    expect(items).toEqual([]);
  });
});

describe("the images example", () => {
  it("uploads a PNG and shows its thumbnails once the resize run has made them", async () => {
    const pngPath = join(filesDir, "photo.png");
    await writeFile(
      pngPath,
      await sharp({ create: { width: 400, height: 300, channels: 3, background: "#3366cc" } })
        .png()
        .toBuffer(),
    );
    await page.goto(`${app.conveyor.url}/#/examples/images`);
    await page.getByLabel("Image", { exact: true }).setInputFiles(pngPath);
    await page.getByRole("button", { name: "Upload", exact: true }).click();

    const thumbnails = page.getByTestId("thumbnail");
    await expect.poll(() => thumbnails.count(), { timeout: 20_000 }).toBe(2);
    expect(await page.getByTestId("resize-status").textContent()).toBe("succeeded");
    expect(await thumbnails.evaluateAll((images) => images.map((image) => image.getAttribute("data-size")))).toEqual([
      "64",
      "256",
    ]);
    // Served by the API as WebP and decoded by the browser: 400×300 fitted inside 64 and 256.
    await expect
      .poll(() =>
        thumbnails.evaluateAll((images) =>
          (images as HTMLImageElement[]).map((image) => (image.complete ? image.naturalWidth : 0)),
        ),
      )
      .toEqual([64, 256]);
    expect(await storedImages()).toEqual({ rows: 1, directories: 1 });
    await saveDocsScreenshot(page, "examples-images", { fullPage: true });
  });

  it("shows why a text file was refused, under the form, and stores nothing", async () => {
    const textPath = join(filesDir, "notes.txt");
    await writeFile(textPath, "hello, not an image");
    const before = await storedImages();
    await page.getByLabel("Image", { exact: true }).setInputFiles(textPath);
    await page.getByRole("button", { name: "Upload", exact: true }).click();

    const alert = page.locator('section[aria-labelledby="upload-title"] [role="alert"]');
    await alert.waitFor();
    expect(await alert.textContent()).toContain("file: not an image");
    expect(await page.getByTestId("upload").count()).toBe(1);
    expect(await storedImages()).toEqual(before);
    await saveScreenshot(page, "examples-images-refused");
  });
});

describe("the reports example", () => {
  it("refuses a failure rate above 1 in the browser, by its field", async () => {
    await page.goto(`${app.conveyor.url}/#/examples/reports`);
    // Refused by the server, the field would show its error too, but only after the page had
    // asked to enqueue: in the browser means no runs.enqueue request at all.
    const enqueues: string[] = [];
    const onRequest = (request: Request) => {
      const procedures = new URL(request.url()).pathname.split("/trpc/")[1]?.split(",") ?? [];
      if (procedures.includes("runs.enqueue")) enqueues.push(request.url());
    };
    page.on("request", onRequest);
    try {
      await page.getByLabel("User id", { exact: true }).fill("7");
      await page.getByLabel("Failure rate", { exact: true }).fill("2");
      await page.getByRole("button", { name: "Generate", exact: true }).click();

      await page.locator('[data-field="failureRate"] [role="alert"]').waitFor();
      expect(enqueues).toEqual([]);
    } finally {
      page.off("request", onRequest);
    }
  });

  it("generates a report, its progress bar moving to 5/5, then lists it", async () => {
    await page.getByLabel("Failure rate", { exact: true }).fill("0");
    await page.getByRole("button", { name: "Generate", exact: true }).click();

    const run = page.getByTestId("report-run");
    await run.waitFor();
    const runId = (await run.getAttribute("data-run-id")) ?? "";
    const progress = run.getByTestId("report-progress");
    await expect.poll(() => progress.getAttribute("aria-valuenow"), { timeout: 20_000 }).toBe("5");
    expect(await progress.getAttribute("aria-valuemax")).toBe("5");
    expect(await progress.getAttribute("role")).toBe("progressbar");
    await expect.poll(() => run.getByTestId("report-run-status").textContent()).toBe("succeeded");
    expect(await run.getByTestId("report-run-url").textContent()).toBe(`/reports/7/${runId}.pdf`);

    const report = page.locator(`[data-testid="report-row"][data-run-id="${runId}"]`);
    await report.waitFor({ timeout: 20_000 });
    expect(await report.getByTestId("report-url").textContent()).toBe(`/reports/7/${runId}.pdf`);
    await saveDocsScreenshot(page, "examples-reports", { fullPage: true });
  });
});

describe("the hotels example", () => {
  it("filters by city (in the URL), pages on, and lists an added hotel at once", async () => {
    await page.goto(`${app.conveyor.url}/#/examples/hotels`);
    const rows = page.getByTestId("hotel-row");
    await expect.poll(() => rows.count()).toBe(20);
    await page.getByTestId("cache-stats").waitFor();

    const filter = page.getByRole("form", { name: "Filter hotels" });
    await filter.getByLabel("City", { exact: true }).fill("Lisbon");
    await filter.getByRole("button", { name: "Filter", exact: true }).click();
    await page.waitForURL(/#\/examples\/hotels\?city=Lisbon$/);
    await expect
      .poll(() => rows.evaluateAll((items) => items.map((item) => item.getAttribute("data-city"))))
      .toEqual(Array(20).fill("Lisbon"));
    // The seed puts 30 hotels in each of its 40 cities.
    await page.getByRole("button", { name: "Load more", exact: true }).click();
    await expect.poll(() => rows.count()).toBe(30);
    expect(await page.getByRole("button", { name: "Load more", exact: true }).count()).toBe(0);

    const form = page.locator("form#hotel");
    expect(await form.getByLabel("City", { exact: true }).inputValue()).toBe("Lisbon");
    await form.getByLabel("Name", { exact: true }).fill("Conveyor Test Inn Lisbon");
    await form.getByLabel("Country", { exact: true }).fill("Portugal");
    await form.getByLabel("Stars", { exact: true }).fill("4");
    await form.getByLabel("Price per night", { exact: true }).fill("12345");
    await form.getByLabel("Rooms", { exact: true }).fill("10");
    await form.getByRole("button", { name: "Add hotel", exact: true }).click();

    const added = rows.filter({ hasText: "Conveyor Test Inn Lisbon" });
    await added.waitFor();
    expect(await rows.count()).toBe(31);
    const stats = page.getByTestId("cache-stats");
    await expect.poll(async () => Number(await stats.getAttribute("data-misses"))).toBeGreaterThan(0);
    await saveDocsScreenshot(page, "examples-hotels", { fullPage: true });
  });
});
