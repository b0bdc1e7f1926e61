import { describe, expect, it } from "vitest";
import { bucketQuantile } from "./overview.js";

/** `conveyor_duration_bucket` in migration 0009, for durations of at least 1 ms. */
const bucketOf = (ms: number) => Math.min(127, 1 + Math.floor((4 * Math.log(ms)) / Math.log(2)));

function histogram(durations: number[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const ms of durations) counts.set(bucketOf(ms), (counts.get(bucketOf(ms)) ?? 0) + 1);
  return counts;
}

const exactQuantile = (durations: number[], q: number) =>
  [...durations].sort((a, b) => a - b)[Math.ceil(q * durations.length) - 1] ?? 0;

describe("percentiles from duration buckets", () => {
  it("land within one bucket (19 %) of the exact percentile", () => {
    const durations = Array.from({ length: 1_000 }, (_, i) => 5 + ((i * 7919) % 2_000));
    for (const q of [0.5, 0.95]) {
      const estimate = bucketQuantile(histogram(durations), q);
      const exact = exactQuantile(durations, q);
      expect(Math.abs(estimate - exact) / exact).toBeLessThan(0.19);
    }
  });

  it("is zero with nothing counted, and stays inside the only bucket there is", () => {
    expect(bucketQuantile(new Map(), 0.5)).toBe(0);
    const estimate = bucketQuantile(histogram([40, 40, 40]), 0.95);
    expect(estimate).toBeGreaterThanOrEqual(2 ** ((bucketOf(40) - 1) / 4));
    expect(estimate).toBeLessThanOrEqual(2 ** (bucketOf(40) / 4));
  });
});
