import {
  type ChainInput,
  type DagInput,
  type FlowKind,
  type FlowSpec,
  type FlowStatus,
  type GroupInput,
  limits,
  type RunSummary,
} from "@conveyor/shared";
import { and, asc, desc, eq, inArray, lt, type SQL } from "drizzle-orm";
import { v7 as uuidv7 } from "uuid";
import type { Executor } from "../db/client.js";
import { schema } from "../db/client.js";
import { InputError, type InputIssue, NotFoundError } from "../errors.js";
import { buildRun, standalone } from "../runs/prepareRun.js";
import { listRunSummaries } from "../runs/service.js";
import { insertRuns, type NewRun } from "../runs/sql/insertRuns.js";
import type { TaskCatalog } from "../tasks/catalog.js";
import { checkNode, type FlowPlan, planChain, planDag, planFlowSpec, planGroup } from "./planFlow.js";

export interface EnqueuedFlow {
  id: string;
  runIds: string[];
}

export function enqueueChain(db: Executor, catalog: TaskCatalog, input: ChainInput, options: FlowOptions = {}) {
  return enqueuePlan(db, catalog, planChain(input), options);
}

export function enqueueGroup(db: Executor, catalog: TaskCatalog, input: GroupInput, options: FlowOptions = {}) {
  return enqueuePlan(db, catalog, planGroup(input), options);
}

export function enqueueDag(db: Executor, catalog: TaskCatalog, input: DagInput, options: FlowOptions = {}) {
  const issues: InputIssue[] = [];
  const plan = planDag(input, issues);
  if (issues.length > 0) throw new InputError(issues);
  return enqueuePlan(db, catalog, plan, options);
}

/** Enqueues a chain, group/chord or DAG as a schedule stores it. */
export function enqueueFlow(db: Executor, catalog: TaskCatalog, spec: FlowSpec, options: FlowOptions = {}) {
  const issues: InputIssue[] = [];
  const plan = planFlowSpec(spec, issues);
  if (issues.length > 0) throw new InputError(issues);
  return enqueuePlan(db, catalog, plan, options);
}

export interface FlowOptions {
  scheduleId?: string;
  /** Prefix for error paths when the flow is part of a larger input (a schedule's `target.flow`). */
  pathPrefix?: (string | number)[];
}

/**
 * Validates every node, then writes the flow, its runs and its edges in one transaction. Roots are
 * queued at once; every other run is `waiting` with a count of dependencies still to succeed.
 */
async function enqueuePlan(
  db: Executor,
  catalog: TaskCatalog,
  plan: FlowPlan,
  options: FlowOptions,
): Promise<EnqueuedFlow> {
  const prefix = options.pathPrefix ?? [];
  if (plan.nodes.length > limits.flowNodes) {
    throw new InputError([{ path: prefix, message: `at most ${limits.flowNodes} runs per flow (limit flowNodes)` }]);
  }
  const now = new Date();
  const flowId = uuidv7();
  const issues: InputIssue[] = [];
  const runs: NewRun[] = [];
  for (const node of plan.nodes) {
    const checked = checkNode(catalog, node, prefix, issues);
    if (!checked) continue;
    runs.push(
      buildRun(checked.definition, checked.input, node.options, now, {
        ...standalone,
        flowId,
        flowNode: node.name,
        pendingDependencies: node.parents.length,
        inputMode: node.inputMode,
        scheduleId: options.scheduleId ?? null,
      }),
    );
  }
  if (issues.length > 0) throw new InputError(issues);

  const idByName = new Map(plan.nodes.map((node, index) => [node.name, runs[index]?.id ?? ""]));
  const edges = plan.nodes.flatMap((node) =>
    node.parents.map((parent) => ({
      runId: idByName.get(node.name) ?? "",
      dependsOn: idByName.get(parent.name) ?? "",
      position: parent.position,
      parentName: parent.name,
    })),
  );
  await db.transaction(async (tx) => {
    await tx.insert(schema.flows).values({
      id: flowId,
      kind: plan.kind,
      totalRuns: runs.length,
      scheduleId: options.scheduleId ?? null,
    });
    for (let from = 0; from < edges.length; from += 5_000) {
      await tx.insert(schema.runDependencies).values(edges.slice(from, from + 5_000));
    }
    await insertRuns(tx, runs);
  });
  return { id: flowId, runIds: runs.map((run) => run.id) };
}

export interface FlowView {
  id: string;
  kind: FlowKind;
  status: FlowStatus;
  createdAt: Date;
  finishedAt: Date | null;
  scheduleId: string | null;
  progress: { finished: number; total: number; succeeded: number; failed: number; cancelled: number };
}

function toFlowView(row: typeof schema.flows.$inferSelect): FlowView {
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    createdAt: row.createdAt,
    finishedAt: row.finishedAt,
    scheduleId: row.scheduleId,
    progress: {
      finished: row.succeededRuns + row.failedRuns + row.cancelledRuns,
      total: row.totalRuns,
      succeeded: row.succeededRuns,
      failed: row.failedRuns,
      cancelled: row.cancelledRuns,
    },
  };
}

export interface FlowDetail extends FlowView {
  runs: RunSummary[];
  /** `from` must succeed before `to` runs. */
  edges: { from: string; to: string }[];
}

export async function getFlow(db: Executor, id: string): Promise<FlowDetail> {
  const [row] = await db.select().from(schema.flows).where(eq(schema.flows.id, id));
  if (!row) throw new NotFoundError(`flow ${id} does not exist`);
  const runs = await listRunSummaries(db, eq(schema.runs.flowId, id), asc(schema.runs.id));
  const edges = runs.length
    ? await db
        .select({ from: schema.runDependencies.dependsOn, to: schema.runDependencies.runId })
        .from(schema.runDependencies)
        .where(
          inArray(
            schema.runDependencies.runId,
            runs.map((run) => run.id),
          ),
        )
    : [];
  return { ...toFlowView(row), runs, edges };
}

export async function listFlows(
  db: Executor,
  query: { status?: FlowStatus | undefined; cursor?: string | undefined; limit: number },
): Promise<{ items: FlowView[]; nextCursor: string | null }> {
  const conditions: SQL[] = [];
  if (query.status) conditions.push(eq(schema.flows.status, query.status));
  if (query.cursor) conditions.push(lt(schema.flows.id, query.cursor));
  const rows = await db
    .select()
    .from(schema.flows)
    .where(and(...conditions))
    .orderBy(desc(schema.flows.id))
    .limit(query.limit + 1);
  const page = rows.slice(0, query.limit);
  return {
    items: page.map(toFlowView),
    nextCursor: rows.length > query.limit ? (page.at(-1)?.id ?? null) : null,
  };
}
