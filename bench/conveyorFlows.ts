import { performance } from "node:perf_hooks";
import { eventsChannel } from "@conveyor/shared";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import pg from "pg";
import superjson from "superjson";
import { startConveyor } from "../server/src/app.js";
import { createToken } from "../server/src/auth/tokens.js";
import { loadConfig } from "../server/src/config/env.js";
import type { AppRouter } from "../server/src/router.js";
import { workerSettings } from "./workerSettings.js";

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

/** Resolves when `count` flows have succeeded, re-counting when events are announced. */
async function waitForFlows(url: string, count: number): Promise<void> {
  const listener = new pg.Client({ connectionString: url });
  await listener.connect();
  let counting = false;
  let done = () => {};
  const finished = new Promise<void>((resolve) => (done = resolve));
  const recount = async () => {
    if (counting) return;
    counting = true;
    const { rows } = await listener.query<{ n: number }>(
      "select count(*)::int as n from flows where status = 'succeeded'",
    );
    if ((rows[0]?.n ?? 0) >= count) done();
    setTimeout(() => {
      counting = false;
    }, 20);
  };
  const ticker = setInterval(() => void recount(), 100);
  listener.on("notification", () => void recount());
  await listener.query(`listen ${eventsChannel}`);
  await finished;
  clearInterval(ticker);
  await listener.end();
}

/** `flows.chain` over HTTP, three `conveyor.noop` steps each, until every chain succeeded. */
export function conveyorChains(url: string, chains: number): Promise<number> {
  return withFullPath(url, async (client) => {
    const allDone = waitForFlows(url, chains);
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
    const allDone = waitForFlows(url, chords);
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
