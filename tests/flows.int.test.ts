import { chain, chord, member } from "@conveyor/shared";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { badRequest } from "./fixtures/rejection.js";
import { isFinished, startFileConveyor, waitForEvents, waitForRun } from "./fixtures/testConveyor.js";
import { add, sum } from "./fixtures/testTasks.js";

const { database, app } = await startFileConveyor("flows");

/** Waits for the flow to leave `running`, on events, and returns it. */
function waitForFlow(id: string) {
  return waitForEvents(
    database.url,
    async () => {
      const flow = await app.client.flows.get.query({ id });
      return flow.status === "running" || flow.progress.finished < flow.progress.total ? undefined : flow;
    },
    () => `flow ${id} did not finish`,
  );
}

async function countRows(): Promise<string> {
  const result = await app.conveyor.db.execute<{ n: string }>(
    sql`select concat_ws(',', (select count(*) from runs), (select count(*) from flows), (select count(*) from run_dependencies)) as n`,
  );
  return result.rows[0]?.n ?? "";
}

describe("chains", () => {
  it("passes each step's output to the next step that has no input of its own", async () => {
    const flow = await app.client.flows.chain.mutate(
      chain(add, { value: 1 }).pipe(add).pipe(add, { priority: 5 }).next(add, { value: 100, add: 5 }).toInput(),
    );
    expect(flow.runIds).toHaveLength(4);
    const done = await waitForFlow(flow.id);
    expect(done).toMatchObject({
      kind: "chain",
      status: "succeeded",
      progress: { finished: 4, total: 4, succeeded: 4 },
    });
    const outputs = await Promise.all(flow.runIds.map(async (id) => (await app.client.runs.get.query({ id })).output));
    expect(outputs).toEqual([{ value: 2 }, { value: 3 }, { value: 4 }, { value: 105 }]);
    expect(done.edges).toHaveLength(3);
    expect((await app.client.runs.get.query({ id: flow.runIds[2] ?? "" })).priority).toBe(5);
  });

  it("a step that fails for good cancels the steps after it and fails the flow", async () => {
    const flow = await app.client.flows.chain.mutate({
      steps: [
        { task: "test.add", input: { value: 1 } },
        { task: "test.flaky", input: { failures: 5 }, options: { maxAttempts: 1 } },
        { task: "test.add" },
        { task: "test.add" },
      ],
    });
    const done = await waitForFlow(flow.id);
    expect(done.status).toBe("failed");
    expect(done.progress).toMatchObject({ finished: 4, succeeded: 1, failed: 1, cancelled: 2 });
    const statuses = done.runs.map((run) => run.status);
    expect(statuses).toEqual(["succeeded", "failed", "cancelled", "cancelled"]);
  });

  it("a step whose input does not accept the previous output fails clearly when it runs", async () => {
    const flow = await app.client.flows.chain.mutate({
      steps: [{ task: "test.add", input: { value: 1 } }, { task: "test.sum" }],
    });
    const done = await waitForFlow(flow.id);
    expect(done.status).toBe("failed");
    const second = await app.client.runs.get.query({ id: flow.runIds[1] ?? "" });
    expect(second.error).toMatchObject({ name: "InputValidationError", isRetryable: false });
    expect(second.error?.message).toContain("results");
  });
});

describe("groups and chords", () => {
  it("runs a group's members in parallel and succeeds when all do", async () => {
    const flow = await app.client.flows.group.mutate({
      members: Array.from({ length: 5 }, (_, n) => ({ task: "test.add", input: { value: n } })),
    });
    const done = await waitForFlow(flow.id);
    expect(done).toMatchObject({ kind: "group", status: "succeeded", progress: { succeeded: 5, total: 5 } });
    expect(done.edges).toEqual([]);
  });

  it("a chord's callback runs once, with every member's output in member order", async () => {
    const members = Array.from({ length: 20 }, (_, n) => member(add, { value: n * 10, add: 0 }));
    const flow = await app.client.flows.group.mutate(chord(members, sum, { label: "tens" }));
    const done = await waitForFlow(flow.id);
    expect(done).toMatchObject({ kind: "chord", status: "succeeded", progress: { succeeded: 21, total: 21 } });
    const callbackId = flow.runIds.at(-1) ?? "";
    const callback = await app.client.runs.get.query({ id: callbackId });
    expect(callback.output).toEqual({ total: 1900, label: "tens", count: 20 });
    expect((callback.input as { results: { value: number }[] }).results.map((result) => result.value)).toEqual(
      Array.from({ length: 20 }, (_, n) => n * 10),
    );
    const started = await app.conveyor.db.execute<{ n: number }>(
      sql`select count(*)::int as n from events where run_id = ${callbackId} and type = 'run.started'`,
    );
    expect(started.rows[0]?.n).toBe(1);
  });

  it("a failed member cancels the callback", async () => {
    const flow = await app.client.flows.group.mutate({
      members: [
        { task: "test.add", input: { value: 1 } },
        { task: "test.refuses", input: {} },
      ],
      callback: { task: "test.sum" },
    });
    const done = await waitForFlow(flow.id);
    expect(done.status).toBe("failed");
    const callback = done.runs.find((run) => run.flowNode === "callback");
    expect(callback?.status).toBe("cancelled");
  });
});

describe("DAGs", () => {
  it("feeds a node without input its parents' outputs by name, after all of them", async () => {
    const flow = await app.client.flows.dag.mutate({
      nodes: [
        { name: "a", task: "test.add", input: { value: 1 } },
        { name: "b", task: "test.add", input: { value: 10 } },
        { name: "c", task: "test.add", dependsOn: ["a"], input: { value: 100 } },
        { name: "join", task: "conveyor.noop", dependsOn: ["b", "c"] },
      ],
    });
    const done = await waitForFlow(flow.id);
    expect(done.status).toBe("succeeded");
    const join = done.runs.find((run) => run.flowNode === "join");
    const output = (await app.client.runs.get.query({ id: join?.id ?? "" })).output;
    expect(output).toEqual({ b: { value: 11 }, c: { value: 101 } });
    const joinStarted = join?.startedAt?.getTime() ?? 0;
    for (const parent of done.runs.filter((run) => run.flowNode === "b" || run.flowNode === "c")) {
      expect(parent.finishedAt?.getTime()).toBeLessThanOrEqual(joinStarted);
    }
  });

  it("refuses cycles, unknown names and duplicate names, saying which, and writes nothing", async () => {
    const before = await countRows();
    const { issues: cycle } = await badRequest(
      app.client.flows.dag.mutate({
        nodes: [
          { name: "a", task: "test.add", input: { value: 1 }, dependsOn: ["c"] },
          { name: "b", task: "test.add", dependsOn: ["a"] },
          { name: "c", task: "test.add", dependsOn: ["b"] },
        ],
      }),
    );
    expect(cycle[0]?.message).toMatch(/dependency cycle: (a → c → b → a|b → a → c → b|c → b → a → c)/);
    const { issues: unknown } = await badRequest(
      app.client.flows.dag.mutate({ nodes: [{ name: "a", task: "test.add", dependsOn: ["ghost"] }] }),
    );
    expect(unknown).toEqual([{ path: ["nodes", 0, "dependsOn", 0], message: 'unknown node "ghost"' }]);
    const { issues: duplicate } = await badRequest(
      app.client.flows.dag.mutate({
        nodes: [
          { name: "a", task: "test.add", input: { value: 1 } },
          { name: "a", task: "test.add", input: { value: 2 } },
        ],
      }),
    );
    expect(duplicate[0]).toMatchObject({
      path: ["nodes", 1, "name"],
      message: expect.stringContaining('duplicate node name "a"'),
    });
    const { issues: badInput } = await badRequest(
      app.client.flows.dag.mutate({ nodes: [{ name: "a", task: "test.add", input: { value: "one" } }] }),
    );
    expect(badInput[0]?.path).toEqual(["nodes", 0, "input", "value"]);
    expect(await countRows()).toBe(before);
  });

  it("refuses a flow over the node limit, naming it", async () => {
    const { issues } = await badRequest(
      app.client.flows.group.mutate({
        members: Array.from({ length: 10_001 }, () => ({ task: "conveyor.noop", input: {} })),
      }),
    );
    expect(issues[0]?.message).toContain("flowNodes");
  });
});

describe("cancelling and listing flows", () => {
  it("flows.cancel cancels every unfinished run, and the flow stays cancelled", async () => {
    const flow = await app.client.flows.chain.mutate({
      steps: [
        { task: "conveyor.sleep", input: { ms: 10_000 } },
        { task: "conveyor.noop", input: {} },
        { task: "conveyor.noop" },
      ],
    });
    await waitForRun(database.url, flow.runIds[0] ?? "", (run) => run.status === "running");
    const cancelled = await app.client.flows.cancel.mutate({ id: flow.id });
    expect(cancelled.status).toBe("cancelled");
    expect(cancelled.runs.map((run) => run.status)).toEqual(["cancelled", "cancelled", "cancelled"]);
    const first = await waitForRun(database.url, flow.runIds[0] ?? "", isFinished);
    expect(first.status).toBe("cancelled");
    expect((await app.client.flows.get.query({ id: flow.id })).progress).toMatchObject({ cancelled: 3, finished: 3 });
  });

  it("lists flows newest first, filtered by status", async () => {
    const failed = await app.client.flows.list.query({ status: "failed" });
    expect(failed.items.length).toBeGreaterThanOrEqual(2);
    expect(failed.items.every((flow) => flow.status === "failed")).toBe(true);
    const all = await app.client.flows.list.query({ limit: 2 });
    expect(all.items).toHaveLength(2);
    expect(all.nextCursor).not.toBeNull();
    expect((all.items[0]?.id ?? "") > (all.items[1]?.id ?? "")).toBe(true);
  });
});
