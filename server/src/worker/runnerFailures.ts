import type { Runner, WorkerEvents } from "graphile-worker";

/**
 * Calls `fail` when graphile-worker's runner can take no more jobs. It ends for good when its pool
 * or cron fails (a dropped connection mid-query is enough) and never comes back by itself; a pool
 * that starts shutting down on its own (a worker of it exited with an error) takes no more jobs,
 * however long it takes to end.
 */
export function watchRunner(runner: Runner, events: WorkerEvents, fail: (reason: string) => void): void {
  events.on("pool:gracefulShutdown", ({ message }) => fail(`graphile-worker's pool is shutting down: ${message}`));
  events.on("pool:forcefulShutdown", ({ message }) => fail(`graphile-worker's pool is shutting down: ${message}`));
  runner.promise.then(
    () => fail("graphile-worker's runner stopped"),
    (error: unknown) =>
      fail(`graphile-worker's runner failed: ${error instanceof Error ? error.message : String(error)}`),
  );
}
