import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Throttle } from "./refreshOnRunsFinished";

describe("Throttle", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("refreshes at once, then at most once per interval however many requests come", () => {
    const refresh = vi.fn();
    const throttle = new Throttle(refresh, 2_000);
    throttle.request();
    expect(refresh).toHaveBeenCalledTimes(1);
    for (let i = 0; i < 100; i += 1) throttle.request();
    expect(refresh).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1_999);
    expect(refresh).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1);
    expect(refresh).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(10_000);
    expect(refresh).toHaveBeenCalledTimes(2);
  });

  it("drops a pending refresh when stopped", () => {
    const refresh = vi.fn();
    const throttle = new Throttle(refresh, 2_000);
    throttle.request();
    throttle.request();
    throttle.stop();
    vi.advanceTimersByTime(5_000);
    expect(refresh).toHaveBeenCalledTimes(1);
  });
});
