import { performance } from "node:perf_hooks";
import type { ApiClient } from "../tests/fixtures/testConveyor.js";
import { withBenchConveyor } from "./benchConveyor.js";
import { waitForCount } from "./waitForCount.js";
import { conveyorWorkerEnv } from "./workerSettings.js";

const flowsSucceeded = "select count(*)::int as n from flows where status = 'succeeded'";

function withFullPath<T>(url: string, work: (client: ApiClient) => Promise<T>): Promise<T> {
  return withBenchConveyor(
    url,
    {
      env: conveyorWorkerEnv,
      api: true,
      worker: true,
      maxBatchItems: 50,
    },
    ({ client }) => work(client),
  );
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
