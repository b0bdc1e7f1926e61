import { once } from "node:events";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { spawnConveyorProcess } from "./fixtures/conveyorProcess.js";
import { startProcessTestbed } from "./fixtures/processTestbed.js";
import { createApiClient, isFinished, waitForRun } from "./fixtures/testConveyor.js";

describe("a worker SIGKILLed after starting a run from its job, before the run's claim is recorded", () => {
  it("loses nothing: another worker runs it again, and it is claimed once and succeeds once", async () => {
    const { database, adminToken, env, processes, onCleanup } = await startProcessTestbed("optimistic_crash", {
      WORKER_CONCURRENCY: "2",
      WORKER_HEARTBEAT_MS: "200",
      WORKER_DEAD_AFTER_MS: "1000",
    });

    // The run fetches this server: its first request is held open (the attempt is under way), later ones answered.
    const held: ServerResponse[] = [];
    let requests = 0;
    const server = createServer((_request, response) => {
      requests += 1;
      if (requests === 1) held.push(response);
      else response.end("ok");
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    onCleanup(async () => {
      for (const response of held) response.destroy();
      server.close();
    });
    const firstRequest = once(server, "request");

    const api = await spawnConveyorProcess("api", env);
    processes.push(api);
    const client = createApiClient(api.url, adminToken);
    const { id } = await client.runs.enqueue.mutate({
      task: "http.fetch",
      input: { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, timeoutMs: 60_000 },
    });

    // The run's row is locked, so the worker's claim waits while the attempt it started runs.
    const pool = new pg.Pool({ connectionString: database.url, max: 3 });
    onCleanup(() => pool.end());
    const lock = await pool.connect();
    let lockHeld = true;
    onCleanup(async () => {
      if (lockHeld) lock.release(true);
    });
    await lock.query("begin");
    await lock.query("select 1 from runs where id = $1 for update", [id]);

    const doomed = await spawnConveyorProcess("worker", env);
    processes.push(doomed);
    await firstRequest;
    // The claim goes out in the worker's next batch; Postgres reports no event for a lock wait, so
    // its activity is read until the claim shows there, waiting on the row.
    const waitingClaims = async () =>
      (
        await pool.query<{ n: number }>(
          "select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'",
        )
      ).rows[0]?.n ?? 0;
    const deadline = Date.now() + 10_000;
    while ((await waitingClaims()) === 0 && Date.now() < deadline) await delay(20);
    expect(await waitingClaims()).toBe(1);
    expect((await client.runs.get.query({ id })).status).toBe("queued");

    await doomed.kill("SIGKILL");
    // Its waiting claim dies with it: a backend waiting on a lock would otherwise commit it once free.
    await pool.query(
      "select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'",
    );
    await lock.query("rollback");
    lock.release();
    lockHeld = false;

    processes.push(await spawnConveyorProcess("worker", env));
    const run = await waitForRun(database.url, id, isFinished, 30_000);
    expect(run).toMatchObject({ status: "succeeded", attempts: 1 });
    const events = await pool.query<{ type: string }>(
      "select type from events where run_id = $1 and type <> 'run.log' order by id",
      [id],
    );
    expect(events.rows.map((row) => row.type)).toEqual(["run.queued", "run.started", "run.succeeded"]);
    // At least once: the killed worker's attempt had begun.
    expect(requests).toBe(2);
  });
});
