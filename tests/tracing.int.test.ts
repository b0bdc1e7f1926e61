import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { type ConveyorProcess, spawnConveyorProcess } from "./fixtures/conveyorProcess.js";
import { testWorkerConcurrency, waitForRun } from "./fixtures/testConveyor.js";
import { createTestDatabase } from "./fixtures/testDatabase.js";

interface ExportedSpan {
  service: string;
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  attributes: Record<string, unknown>;
}

/** An OTLP/HTTP (JSON) trace receiver: what the processes export, and a wait for a span. */
async function startCollector() {
  const spans: ExportedSpan[] = [];
  const waiters: { match: (span: ExportedSpan) => boolean; resolve: (span: ExportedSpan) => void }[] = [];
  const server: Server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on("end", () => {
      const payload = JSON.parse(body) as {
        resourceSpans: {
          resource: { attributes: { key: string; value: { stringValue?: string } }[] };
          scopeSpans: {
            spans: (Omit<ExportedSpan, "service" | "attributes"> & {
              attributes?: { key: string; value: Record<string, unknown> }[];
            })[];
          }[];
        }[];
      };
      for (const resource of payload.resourceSpans) {
        const service = resource.resource.attributes.find((a) => a.key === "service.name")?.value.stringValue ?? "";
        for (const scope of resource.scopeSpans) {
          for (const raw of scope.spans) {
            const span: ExportedSpan = {
              service,
              name: raw.name,
              traceId: raw.traceId,
              spanId: raw.spanId,
              parentSpanId: raw.parentSpanId ?? "",
              attributes: Object.fromEntries(
                (raw.attributes ?? []).map((a) => [a.key, Object.values(a.value)[0]] as const),
              ),
            };
            spans.push(span);
            for (const waiter of [...waiters]) {
              if (waiter.match(span)) {
                waiters.splice(waiters.indexOf(waiter), 1);
                waiter.resolve(span);
              }
            }
          }
        }
      }
      response.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    /** Resolves with the first exported span that matches, already exported or still to come. */
    span(match: (span: ExportedSpan) => boolean): Promise<ExportedSpan> {
      const found = spans.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve) => waiters.push({ match, resolve }));
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("traces across the API and worker processes", () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it("continue the caller's trace: its request → trpc runs.enqueue → conveyor.enqueue → the attempt in the worker", async () => {
    const collector = await startCollector();
    cleanup.push(collector.close);
    const database = await createTestDatabase("tracing");
    cleanup.push(database.drop);
    const adminToken = `cvy_${randomBytes(32).toString("base64url")}`;
    const env = {
      DATABASE_URL: database.url,
      CONVEYOR_ADMIN_TOKEN: adminToken,
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      // Export within a tenth of a second instead of five.
      OTEL_BSP_SCHEDULE_DELAY: "100",
      WORKER_CONCURRENCY: String(testWorkerConcurrency),
    };
    const processes: ConveyorProcess[] = [];
    cleanup.push(async () => {
      for (const child of processes) await child.kill();
    });
    processes.push(await spawnConveyorProcess("api", env));
    processes.push(await spawnConveyorProcess("worker", env));
    const [api] = processes;

    // The caller's own span, as an instrumented service would send it.
    const traceId = randomBytes(16).toString("hex");
    const callerSpanId = randomBytes(8).toString("hex");
    const response = await fetch(`${api?.url}/trpc/runs.enqueue`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${adminToken}`,
        "content-type": "application/json",
        traceparent: `00-${traceId}-${callerSpanId}-01`,
      },
      body: JSON.stringify({ json: { task: "conveyor.noop", input: {} } }),
    });
    expect(response.status).toBe(200);
    const runId = ((await response.json()) as { result: { data: { json: { id: string } } } }).result.data.json.id;
    await waitForRun(database.url, runId, (run) => run.status === "succeeded");

    const rpc = await collector.span((span) => span.name === "trpc runs.enqueue" && span.traceId === traceId);
    const enqueue = await collector.span((span) => span.name === "conveyor.enqueue" && span.traceId === traceId);
    const attempt = await collector.span(
      (span) => span.name === "conveyor.attempt conveyor.noop" && span.attributes["conveyor.run_id"] === runId,
    );
    expect(rpc).toMatchObject({ service: "conveyor-api", parentSpanId: callerSpanId });
    expect(enqueue).toMatchObject({ service: "conveyor-api", parentSpanId: rpc.spanId });
    expect(attempt).toMatchObject({
      service: "conveyor-worker",
      traceId,
      parentSpanId: enqueue.spanId,
      attributes: { "conveyor.attempt": 1, "conveyor.outcome": "succeeded" },
    });
  });
});
