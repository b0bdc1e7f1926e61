import { describe, expect, it } from "vitest";
import { retryDelayMs } from "./backoff.js";

const backoff = { initialDelayMs: 1_000, factor: 2, maxDelayMs: 10_000 };

describe("retryDelayMs", () => {
  it("doubles the delay range with each failed attempt", () => {
    expect(retryDelayMs(backoff, 1, () => 0)).toBe(500);
    expect(retryDelayMs(backoff, 1, () => 1)).toBe(1_000);
    expect(retryDelayMs(backoff, 3, () => 0)).toBe(2_000);
    expect(retryDelayMs(backoff, 3, () => 1)).toBe(4_000);
  });

  it("never exceeds the maximum delay, however many attempts failed", () => {
    expect(retryDelayMs(backoff, 30, () => 1)).toBe(10_000);
    expect(retryDelayMs(backoff, 30, () => 0)).toBe(5_000);
  });

  it("spreads retries of the same attempt across the jitter range", () => {
    const delays = new Set(Array.from({ length: 50 }, () => retryDelayMs(backoff, 2)));
    expect(delays.size).toBeGreaterThan(10);
    for (const delay of delays) {
      expect(delay).toBeGreaterThanOrEqual(1_000);
      expect(delay).toBeLessThanOrEqual(2_000);
    }
  });
});
