import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { queueDepthQuery, readQueueDepth } from "../server/src/stats/sql/readQueueDepth.js";
import { startFileConveyor } from "./fixtures/testConveyor.js";

// No worker: the enqueued runs stay waiting.
const { app } = await startFileConveyor("queue_depth", { worker: false });
const { db } = app.conveyor;

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  Plans?: PlanNode[];
}

const nodesOf = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(nodesOf)];

describe("the queue depth /metrics reports (and the workers' autoscaler reads)", () => {
  it("counts the runs waiting among 100,000 finished ones by their jobs, with no scan of the runs", async () => {
    // Ids that begin with this millisecond, as the server's own do, so the runs sit in today's
    // partition and none moves into a day's partition created later.
    await db.execute(sql`
      insert into runs (id, task, input, status, attempts, max_attempts, timeout_ms, finished_at)
      select (left(conveyor_uuid_floor(now())::text, 13) || right(gen_random_uuid()::text, 23))::uuid,
        'conveyor.noop', '{}'::jsonb, 'succeeded', 1, 1, 60000, now()
      from generate_series(1, 100000)`);
    await db.execute(sql`analyze runs`);
    await app.client.runs.enqueueMany.mutate({
      items: [
        ...Array.from({ length: 7 }, (_, n) => ({ task: "conveyor.noop", input: { n } })),
        ...Array.from({ length: 3 }, (_, n) => ({ task: "conveyor.noop", input: { n }, options: { queue: "depth" } })),
      ],
    });
    const depth = await readQueueDepth(db);
    expect(depth.map(({ queue, queued, running }) => ({ queue, queued, running }))).toEqual([
      { queue: null, queued: 7, running: 0 },
      { queue: "depth", queued: 3, running: 0 },
    ]);
    const explained = await db.execute<{ "QUERY PLAN": [{ Plan: PlanNode }] }>(
      sql`explain (format json) ${queueDepthQuery}`,
    );
    const plan = explained.rows[0]?.["QUERY PLAN"][0].Plan;
    const nodes = plan ? nodesOf(plan) : [];
    // The partitions that hold runs are read by index. The coming days' partitions are empty and
    // may be created by history maintenance after the analyze above, so the planner guesses their
    // size and may scan them; that costs nothing, so only the partitions holding runs are checked.
    const holding = await db.execute<{ partition: string }>(
      sql`select distinct tableoid::regclass::text as partition from runs`,
    );
    const partitions = new Set(holding.rows.map((row) => row.partition));
    const onRuns = nodes.filter((node) => partitions.has(node["Relation Name"] ?? ""));
    expect(onRuns.length).toBeGreaterThan(0);
    expect(onRuns.map((node) => `${node["Node Type"]} ${node["Relation Name"]}`)).toEqual(
      onRuns.map((node) => `Index Scan ${node["Relation Name"]}`),
    );
  });
});
