import { httpFetch, httpFetchLimits } from "@conveyor/shared";
import { NonRetryableError } from "../worker/taskErrors.js";
import { implementTask } from "../worker/taskImplementation.js";

/** Headers worth keeping in the output; the rest are mostly noise (dates, servers, cookies). */
const keptHeaders = ["content-type", "content-length", "etag", "last-modified", "cache-control", "retry-after"];

/** One attempt ran past its own timeout; retried like any network error. */
export class FetchTimeoutError extends Error {
  override name = "FetchTimeoutError";
}

/**
 * 408 (the server timed out waiting) and 429 (too many requests) are the 4xx answers that say
 * "later": they are retried with the server errors. Every other 4xx is the request's fault.
 */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

export const httpFetchImplementation = implementTask(
  httpFetch,
  async ({ url, method, timeoutMs }, { signal, attempt, logger }) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    // The run's own signal (cancel, shutdown, the task's timeout) or this attempt's timeout.
    const attemptSignal = AbortSignal.any([signal, timeout]);
    /** A network error or timeout, sending or reading the body: retried, unless the run itself stopped. */
    const failed = (error: unknown): unknown => {
      if (signal.aborted) return signal.reason;
      if (timeout.aborted) {
        return new FetchTimeoutError(`${method} ${url} timed out after ${timeoutMs} ms (attempt ${attempt})`);
      }
      return new Error(`${method} ${url} failed: ${(error as Error).message}`, { cause: error });
    };

    let response: Response;
    try {
      response = await fetch(url, { method, signal: attemptSignal, redirect: "follow" });
    } catch (error) {
      throw failed(error);
    }
    if (response.status >= 400) {
      await response.body?.cancel();
      const answer = `${method} ${url} answered ${response.status} ${response.statusText}`;
      if (isRetryableStatus(response.status)) throw new Error(`${answer} (attempt ${attempt})`);
      throw new NonRetryableError(`${answer}; a client error is not retried`);
    }
    let body: { text: string; isTruncated: boolean };
    try {
      body = await readText(response, httpFetchLimits.bodyChars);
    } catch (error) {
      throw failed(error);
    }
    logger.info("fetched", { url: response.url, status: response.status, attempt, isTruncated: body.isTruncated });
    return {
      status: response.status,
      url: response.url,
      headers: Object.fromEntries(keptHeaders.flatMap((name) => headerEntry(response.headers, name))),
      body: body.text,
      isTruncated: body.isTruncated,
    };
  },
);

function headerEntry(headers: Headers, name: string): [string, string][] {
  const value = headers.get(name);
  return value === null ? [] : [[name, value]];
}

/** Reads at most `limit` characters and stops there: a huge body is never held in memory whole. */
async function readText(response: Response, limit: number): Promise<{ text: string; isTruncated: boolean }> {
  if (!response.body) return { text: "", isTruncated: false };
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { text: text + decoder.decode(), isTruncated: false };
    text += decoder.decode(value, { stream: true });
    if (text.length > limit) {
      await reader.cancel();
      return { text: text.slice(0, limit), isTruncated: true };
    }
  }
}
