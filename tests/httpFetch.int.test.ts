import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { type httpFetch, httpFetchLimits, type TaskInput } from "@conveyor/shared";
import { TRPCClientError } from "@trpc/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ExampleWorker, startExampleWorker } from "./fixtures/exampleWorker.js";
import { isFinished, startFileConveyor, waitForRun } from "./fixtures/testConveyor.js";

type Handler = (request: IncomingMessage, response: ServerResponse, hit: number) => void;

/** An HTTP server in this process; each path answers by its handler, which sees how often it was hit. */
class TestServer {
  readonly #handlers = new Map<string, Handler>();
  readonly #hits = new Map<string, number>();
  readonly #server: Server = createServer((request, response) => {
    const path = request.url ?? "/";
    const hit = (this.#hits.get(path) ?? 0) + 1;
    this.#hits.set(path, hit);
    const handler = this.#handlers.get(path);
    if (handler) handler(request, response, hit);
    else response.writeHead(404).end("no handler");
  });
  url = "";

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    const address = this.#server.address();
    this.url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  }

  on(path: string, handler: Handler): string {
    this.#handlers.set(path, handler);
    return `${this.url}${path}`;
  }

  hits(path: string): number {
    return this.#hits.get(path) ?? 0;
  }

  close(): Promise<void> {
    // Requests that are never answered would hold close() forever.
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

const { database, app } = await startFileConveyor("http_fetch", { worker: false });
let worker: ExampleWorker;
const server = new TestServer();

beforeAll(async () => {
  await server.start();
  worker = await startExampleWorker(database.url, { storageDir: tmpdir() });
});

afterAll(async () => {
  await worker?.close();
  await server.close();
});

async function fetchRun(input: TaskInput<typeof httpFetch>, options: { maxAttempts?: number } = {}) {
  const { id } = await app.clients.operator.runs.enqueue.mutate({ task: "http.fetch", input, options });
  return waitForRun(database.url, id, isFinished);
}

describe("http.fetch", () => {
  it("503 twice, then 200: retried with backoff and succeeds on attempt 3", async () => {
    const url = server.on("/flaky", (_request, response, hit) => {
      if (hit <= 2) response.writeHead(503, { "retry-after": "1" }).end("busy");
      else
        response
          .writeHead(200, { "content-type": "application/json", etag: '"v1"', "x-noise": "dropped" })
          .end('{"ok":true}');
    });
    const run = await fetchRun({ url });
    expect(run).toMatchObject({ status: "succeeded", attempts: 3 });
    expect(run.output).toEqual({
      status: 200,
      url,
      headers: { "content-type": "application/json", etag: '"v1"' },
      body: '{"ok":true}',
      isTruncated: false,
    });
    expect(server.hits("/flaky")).toBe(3);
  });

  it("404 fails after one attempt: a client error is not retried", async () => {
    const url = server.on("/missing", (_request, response) => response.writeHead(404).end("not here"));
    const run = await fetchRun({ url });
    expect(run).toMatchObject({
      status: "failed",
      attempts: 1,
      error: { name: "NonRetryableError", isRetryable: false },
    });
    expect(run.error?.message).toContain("answered 404");
    expect(server.hits("/missing")).toBe(1);
  });

  it("429 is retried like a server error", async () => {
    const url = server.on("/throttled", (_request, response, hit) => {
      if (hit === 1) response.writeHead(429).end();
      else response.writeHead(200).end("ok");
    });
    const run = await fetchRun({ url });
    expect(run).toMatchObject({ status: "succeeded", attempts: 2, output: { status: 200, body: "ok" } });
  });

  it("a server that never answers: each attempt times out, and the run fails after maxAttempts", async () => {
    const url = server.on("/hang", () => {});
    const run = await fetchRun({ url, timeoutMs: 200 }, { maxAttempts: 2 });
    expect(run).toMatchObject({
      status: "failed",
      attempts: 2,
      error: { name: "FetchTimeoutError", isRetryable: true },
    });
    expect(run.error?.message).toBe(`GET ${url} timed out after 200 ms (attempt 2)`);
    expect(server.hits("/hang")).toBe(2);
  });

  it("a connection refused is retried, then fails after maxAttempts", async () => {
    const closed = new TestServer();
    await closed.start();
    await closed.close();
    const run = await fetchRun({ url: `${closed.url}/gone` }, { maxAttempts: 2 });
    expect(run).toMatchObject({ status: "failed", attempts: 2, error: { isRetryable: true } });
    expect(run.error?.message).toMatch(/failed: fetch failed/);
  });

  it("keeps the first 64 KiB of a large body and says so", async () => {
    const url = server.on("/large", (_request, response) => response.writeHead(200).end("x".repeat(200_000)));
    const run = await fetchRun({ url });
    const output = run.output as { body: string; isTruncated: boolean };
    expect(output.body).toHaveLength(httpFetchLimits.bodyChars);
    expect(output.isTruncated).toBe(true);
  });

  it("refuses a URL that is not http or https, naming input.url", async () => {
    const error = await app.clients.operator.runs.enqueue
      .mutate({ task: "http.fetch", input: { url: "file:///etc/passwd" } })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TRPCClientError);
    expect((error as TRPCClientError<never>).message).toBe("input.url: must be an http:// or https:// URL");
  });
});
