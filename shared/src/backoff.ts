import type { Backoff } from "./task.js";

/**
 * Delay before the attempt after `failedAttempt` (1-based), with "equal jitter": half the
 * exponential delay is fixed and half random, so retries spread out yet never come early in bulk.
 */
export function retryDelayMs(backoff: Backoff, failedAttempt: number, random: () => number = Math.random): number {
  const exponential = backoff.initialDelayMs * backoff.factor ** Math.max(0, failedAttempt - 1);
  const capped = Math.min(backoff.maxDelayMs, exponential);
  return Math.round(capped / 2 + random() * (capped / 2));
}
