import {
  type EnqueueItem,
  type ListRunsInput,
  limits,
  listRunsInputSchema,
  type Run,
  type RunSummary,
} from "@conveyor/shared";
import { and, desc, eq, getTableColumns, lt, type SQL } from "drizzle-orm";
import { v7 as uuidv7 } from "uuid";
import type { Executor } from "../db/client.js";
import { schema } from "../db/client.js";
import { InputError, type InputIssue, issuesFromZod, NotFoundError } from "../errors.js";
import type { TaskCatalog } from "../tasks/catalog.js";
import { addRunJobs } from "./sql/addRunJobs.js";
import { insertRuns, type NewRun } from "./sql/insertRuns.js";

export interface EnqueuedRun {
  id: string;
  status: NewRun["status"];
}

/**
 * Validates every item against its task's schema and enqueues them all in one transaction, or
 * none. Pass a transaction as `db` to enqueue together with the caller's own writes.
 */
export async function enqueueRuns(
  db: Executor,
  catalog: TaskCatalog,
  items: readonly EnqueueItem[],
  pathPrefix: (string | number)[] = [],
): Promise<EnqueuedRun[]> {
  const now = new Date();
  const issues: InputIssue[] = [];
  const runs: NewRun[] = [];
  items.forEach((item, index) => {
    const prefix = items.length === 1 && pathPrefix.length === 0 ? [] : [...pathPrefix, index];
    const run = prepareRun(catalog, item, now, prefix, issues);
    if (run) runs.push(run);
  });
  if (issues.length > 0) throw new InputError(issues);

  await db.transaction(async (tx) => {
    await insertRuns(tx, runs);
    await addRunJobs(
      tx,
      runs.map((run) => ({
        runId: run.id,
        task: run.task,
        queue: run.queue,
        priority: run.priority,
        // Due runs take the database's clock, so a skewed app clock cannot delay them.
        runAt: run.status === "scheduled" ? run.runAt : null,
      })),
    );
  });
  return runs.map((run) => ({ id: run.id, status: run.status }));
}

function prepareRun(
  catalog: TaskCatalog,
  item: EnqueueItem,
  now: Date,
  prefix: (string | number)[],
  issues: InputIssue[],
): NewRun | undefined {
  const definition = catalog.get(item.task);
  if (!definition) {
    issues.push({
      path: [...prefix, "task"],
      message: `unknown task "${item.task}" (known: ${catalog.names().join(", ")})`,
    });
    return undefined;
  }
  const size = Buffer.byteLength(JSON.stringify(item.input ?? null));
  if (size > limits.runInputBytes) {
    issues.push({
      path: [...prefix, "input"],
      message: `is ${size} bytes, over the limit runInputBytes of ${limits.runInputBytes}`,
    });
    return undefined;
  }
  const parsed = definition.input.safeParse(item.input);
  if (!parsed.success) {
    issues.push(...issuesFromZod(parsed.error, [...prefix, "input"]));
    return undefined;
  }
  const options = item.options ?? {};
  const runAt = options.runAt ?? new Date(now.getTime() + (options.delayMs ?? 0));
  return {
    id: uuidv7(),
    task: definition.name,
    status: runAt.getTime() > now.getTime() ? "scheduled" : "queued",
    input: parsed.data,
    maxAttempts: options.maxAttempts ?? definition.defaults.maxAttempts,
    timeoutMs: options.timeoutMs ?? definition.defaults.timeoutMs,
    queue: options.queue ?? definition.defaults.queue,
    priority: options.priority ?? definition.defaults.priority,
    runAt,
    flowId: null,
    idempotencyKey: null,
  };
}

type RunRow = typeof schema.runs.$inferSelect;

function toRun(row: RunRow): Run {
  const { updatedAt: _updatedAt, ...run } = row;
  return run;
}

function toSummary(row: Omit<RunRow, "input" | "output">): RunSummary {
  const { updatedAt: _updatedAt, ...summary } = row;
  return summary;
}

export async function getRun(db: Executor, id: string): Promise<Run> {
  const [row] = await db.select().from(schema.runs).where(eq(schema.runs.id, id)).limit(1);
  if (!row) throw new NotFoundError(`run ${id} does not exist`);
  return toRun(row);
}

export interface RunPage {
  items: RunSummary[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

/** Newest first, keyset-paginated on the time-ordered id, so deep pages cost the same as the first. */
export async function listRuns(db: Executor, query: ListRunsInput): Promise<RunPage> {
  const { status, task, cursor, limit } = listRunsInputSchema.parse(query);
  const conditions: SQL[] = [];
  if (status) conditions.push(eq(schema.runs.status, status));
  if (task) conditions.push(eq(schema.runs.task, task));
  if (cursor) conditions.push(lt(schema.runs.id, cursor));
  const { input: _input, output: _output, ...summaryColumns } = getTableColumns(schema.runs);
  const rows = await db
    .select(summaryColumns)
    .from(schema.runs)
    .where(and(...conditions))
    .orderBy(desc(schema.runs.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  return {
    items: page.map(toSummary),
    nextCursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null,
  };
}
