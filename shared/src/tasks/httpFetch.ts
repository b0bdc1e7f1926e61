import { z } from "zod";
import { defineTask } from "../task.js";

/** Limits of `http.fetch`; each is named where it applies. */
export const httpFetchLimits = {
  /** Characters of the response body kept in the output; the rest is dropped and `isTruncated` set. */
  bodyChars: 64 * 1024,
  /** Longest timeout one attempt may ask for. */
  timeoutMs: 60_000,
} as const;

/** Fetches a URL, retrying network errors and server errors with backoff. */
export const httpFetch = defineTask({
  name: "http.fetch",
  description:
    "Fetches an http(s) URL; network errors, timeouts, 5xx, 408 and 429 are retried with backoff, other 4xx fail at once.",
  input: z.object({
    url: z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" }),
    /** Only methods that are safe to repeat: a retry must not do the thing twice. */
    method: z.enum(["GET", "HEAD"]).default("GET"),
    /** Each attempt gives up after this many milliseconds and counts as failed. */
    timeoutMs: z.number().int().min(100).max(httpFetchLimits.timeoutMs).default(10_000),
  }),
  output: z.object({
    status: z.number().int(),
    /** The URL answered, after redirects. */
    url: z.string(),
    /** The headers worth keeping: content-type, content-length, etag, last-modified, cache-control. */
    headers: z.record(z.string(), z.string()),
    /** The body as text, cut at `httpFetchLimits.bodyChars` characters. */
    body: z.string(),
    isTruncated: z.boolean(),
  }),
  defaults: {
    maxAttempts: 5,
    backoff: { initialDelayMs: 500, factor: 2, maxDelayMs: 30_000 },
    // Above the longest per-attempt timeout, so the fetch's own timeout is what normally fires.
    timeoutMs: httpFetchLimits.timeoutMs + 15_000,
  },
});
