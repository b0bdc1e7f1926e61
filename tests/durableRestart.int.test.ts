import { approvalRequest } from "@conveyor/shared";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { spawnConveyorProcess } from "./fixtures/conveyorProcess.js";
import { startProcessTestbed } from "./fixtures/processTestbed.js";
import { createApiClient, waitForEvents, waitForRun } from "./fixtures/testConveyor.js";

describe("a sleeping run", () => {
  it("survives SIGKILL of every process: it resumes after its sleep on new processes, waits, and finishes once", async () => {
    const { database, adminToken, env, processes, onCleanup } = await startProcessTestbed("durable_restart");
    const start = async () => {
      const api = await spawnConveyorProcess("api", env);
      processes.push(api, await spawnConveyorProcess("worker", env));
      return createApiClient(api.url, adminToken);
    };

    let client = await start();
    const { id } = await client.runs.enqueue.mutate({
      task: approvalRequest.name,
      input: { subject: "restart", coolOffMs: 4_000, timeoutMs: 600_000 },
    });
    const sleeping = await waitForRun(database.url, id, (run) => run.status === "waiting");
    expect(sleeping.workerId).toBeNull();

    // Every process dies while the run sleeps; the sleep is only a row and a job in Postgres.
    for (const child of processes.splice(0)) await child.kill("SIGKILL");
    client = await start();

    const pool = new pg.Pool({ connectionString: database.url, max: 1 });
    onCleanup(() => pool.end());
    const stepsOf = async () =>
      (
        await pool.query<{ name: string; status: string }>(
          "select name, status from run_steps where run_id = $1 order by started_at",
          [id],
        )
      ).rows;
    await waitForEvents(
      database.url,
      async () => ((await stepsOf()).some((step) => step.name === "decision") ? true : undefined),
      () => `run ${id} never reached its decision step`,
      20_000,
    );
    expect(await stepsOf()).toEqual([
      { name: "request", status: "completed" },
      { name: "cool-off", status: "completed" },
      { name: "decision", status: "waiting" },
    ]);

    const emitted = await client.events.emit.mutate({
      name: "approval.decided",
      payload: { subject: "restart", approved: true, by: "night-shift" },
    });
    expect(emitted.resumedRunIds).toEqual([id]);
    const run = await waitForRun(database.url, id, (current) => current.status === "succeeded");
    expect(run.attempts).toBe(1);
    expect(run.output).toEqual({ subject: "restart", approved: true, decidedBy: "night-shift", requestedOnAttempt: 1 });
    const events = await pool.query<{ type: string }>(
      "select type from events where run_id = $1 and type <> 'run.log' order by id",
      [id],
    );
    expect(events.rows.map((row) => row.type)).toEqual([
      "run.queued",
      "run.started",
      "run.waiting",
      "run.started",
      "run.waiting",
      "run.queued",
      "run.started",
      "run.succeeded",
    ]);
  });
});
