import { describe, expect, it } from "vitest";
import { resolvesWithin } from "./resolvesWithin.js";

describe("resolvesWithin", () => {
  it("is true for a promise that resolves in time, false for one that rejects", async () => {
    expect(await resolvesWithin(Promise.resolve("done"), 1_000)).toBe(true);
    expect(await resolvesWithin(Promise.reject(new Error("refused")), 1_000)).toBe(false);
  });

  it("stops waiting on a promise that never settles", async () => {
    const started = Date.now();
    expect(await resolvesWithin(new Promise(() => {}), 50)).toBe(false);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
