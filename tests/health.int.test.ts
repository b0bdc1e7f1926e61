import { afterAll, describe, expect, it } from "vitest";
import { spawnConveyorProcess } from "./fixtures/conveyorProcess.js";
import { startStallingProxy } from "./fixtures/stallingProxy.js";
import { testWorkerConcurrency } from "./fixtures/testConveyor.js";
import { createTestDatabase } from "./fixtures/testDatabase.js";

const database = await createTestDatabase("health");
const proxy = await startStallingProxy({ host: "127.0.0.1", port: Number(new URL(database.url).port || 5432) });
// A worker alone, as `npm start -- --worker` with HEALTH_PORT runs it, reaching Postgres through the proxy.
const worker = await spawnConveyorProcess("worker", {
  DATABASE_URL: database.url.replace(/:(\d+)\//, `:${proxy.port}/`),
  WORKER_CONCURRENCY: String(testWorkerConcurrency),
});
afterAll(async () => {
  await worker.terminate(20_000);
  await proxy.close();
  await database.drop();
});

async function health(): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(worker.healthUrl, { signal: AbortSignal.timeout(10_000) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("a worker's /health", () => {
  it("is ok while the worker can work, 503 while its database does not answer, and ok again after", async () => {
    expect(await health()).toMatchObject({
      status: 200,
      body: { status: "ok", database: "ok", worker: { state: "running", recoveries: 0 } },
    });
    const stalled = proxy.stall(4_000);
    expect(await health()).toMatchObject({ status: 503, body: { status: "unavailable", database: "unreachable" } });
    await stalled;
    expect(await health()).toMatchObject({ status: 200, body: { status: "ok", database: "ok" } });
  });

  it("answers 404 for anything but GET /health", async () => {
    const response = await fetch(worker.healthUrl.replace("/health", "/trpc/runs.list"));
    expect(response.status).toBe(404);
  });
});
