import { performance } from "node:perf_hooks";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import superjson from "superjson";
import { startConveyor } from "../server/src/app.js";
import { createToken } from "../server/src/auth/tokens.js";
import { loadConfig } from "../server/src/config/env.js";
import type { AppRouter } from "../server/src/router.js";
import { waitForCount } from "./waitForCount.js";
import { workerSettings } from "./workerSettings.js";

const flowsSucceeded = "select count(*)::int as n from flows where status = 'succeeded'";

async function withFullPath<T>(
  url: string,
  work: (client: ReturnType<typeof createTRPCClient<AppRouter>>) => Promise<T>,
) {
  const config = loadConfig({
    DATABASE_URL: url,
    PORT: "0",
    LOG_LEVEL: "warn",
    WORKER_CONCURRENCY: String(workerSettings.concurrency),
    WORKER_LOCAL_QUEUE_SIZE: String(workerSettings.localQueueSize),
  });
  const conveyor = await startConveyor({ config, api: true, worker: true, staticDir: null });
  const { token } = await createToken(conveyor.db, { name: "bench", role: "operator" });
  const client = createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: `${conveyor.url}/trpc`,
        transformer: superjson,
        maxItems: 50,
        headers: { authorization: `Bearer ${token}` },
      }),
    ],
  });
  try {
    return await work(client);
  } finally {
    await conveyor.close();
  }
}

/** `flows.chain` over HTTP, three `conveyor.noop` steps each, until every chain succeeded. */
export function conveyorChains(url: string, chains: number): Promise<number> {
  return withFullPath(url, async (client) => {
    const allDone = waitForCount(url, flowsSucceeded, chains);
    const started = performance.now();
    await Promise.all(
      Array.from({ length: chains }, (_, n) =>
        client.flows.chain.mutate({
          steps: [{ task: "conveyor.noop", input: { n } }, { task: "conveyor.noop" }, { task: "conveyor.noop" }],
        }),
      ),
    );
    await allDone;
    return (performance.now() - started) / 1_000;
  });
}

/** `flows.group` with a callback over HTTP, until every chord succeeded. */
export function conveyorChords(url: string, chords: number, members: number): Promise<number> {
  return withFullPath(url, async (client) => {
    const allDone = waitForCount(url, flowsSucceeded, chords);
    const started = performance.now();
    await Promise.all(
      Array.from({ length: chords }, (_, c) =>
        client.flows.group.mutate({
          members: Array.from({ length: members }, (_, m) => ({ task: "conveyor.noop", input: { c, m } })),
          callback: { task: "conveyor.noop" },
        }),
      ),
    );
    await allDone;
    return (performance.now() - started) / 1_000;
  });
}
