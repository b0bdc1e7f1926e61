import { sql } from "drizzle-orm";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchBrowser, signIn } from "../fixtures/browser.js";
import { startFileConveyor } from "../fixtures/testConveyor.js";

const { app } = await startFileConveyor("e2e_feed_load", { staticDir: inject("staticDir"), worker: false });
let browser: Browser;
let page: Page;

beforeAll(async () => {
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await signIn(page, app.conveyor.url, app.tokens.viewer);
});

afterAll(async () => {
  await browser?.close();
});

describe("the runs view under a fast live feed", () => {
  it("keeps rendering frames while 500 events a second arrive for the rows on screen", async () => {
    const { ids } = await app.client.runs.enqueueMany.mutate({
      items: Array.from({ length: 50 }, (_, n) => ({ task: "conveyor.sleep", input: { ms: n } })),
    });
    await page.goto(`${app.conveyor.url}/#/runs`);
    await page.locator('[data-testid="run-row"]').first().waitFor();
    // Frame gaps as the page sees them: a frozen main thread shows as a long gap.
    await page.evaluate(() => {
      const gaps: number[] = [];
      let last = performance.now();
      const tick = (now: number) => {
        gaps.push(now - last);
        last = now;
        (window as unknown as { frameGaps: number[] }).frameGaps = gaps;
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    // 3 seconds at 500 events a second: progress events for the listed runs, 50 per 100 ms batch.
    const started = Date.now();
    for (let batch = 0; batch < 30; batch += 1) {
      await app.conveyor.db.execute(sql`
        with ticked as (
          insert into events (run_id, type, payload)
          select id, 'run.progress', jsonb_build_object('current', ${batch + 1}::int, 'total', 30, 'message', 'tick')
          from runs where id = any(${`{${ids.join(",")}}`}::uuid[])
          returning id
        )
        select pg_notify('conveyor_events', max(id)::text) from ticked`);
      // Load generation: one batch every 100 ms, whatever the page does.
      const due = started + (batch + 1) * 100;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - Date.now())));
    }
    const gaps = await page.evaluate(() => (window as unknown as { frameGaps: number[] }).frameGaps.slice(5));
    const longest = Math.max(...gaps);
    const p95 = [...gaps].sort((a, b) => a - b)[Math.floor(gaps.length * 0.95)] ?? 0;
    console.log(
      `500 events/s for 3 s: ${gaps.length} frames, p95 frame gap ${p95.toFixed(1)} ms, longest ${longest.toFixed(1)} ms`,
    );
    expect(gaps.length).toBeGreaterThan(60);
    expect(longest).toBeLessThan(500);
  });
});
