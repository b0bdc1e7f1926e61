import type { EnqueueItem, listRunsInputSchema, Run, RunStatus, RunSummary } from "@conveyor/shared";
import { and, desc, eq, getTableColumns, gte, inArray, lt, or, type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import type { Executor } from "../db/client.js";
import { schema } from "../db/client.js";
import { InputError, type InputIssue, NotFoundError } from "../errors.js";
import { uuidFloor } from "../history/partitions.js";
import { runIdsWithJobs } from "../jobs/runJobs.js";
import type { TaskCatalog } from "../tasks/catalog.js";
import { statusGroups } from "../transitions/runTransition.js";
import { cancelRuns } from "./cancelRuns.js";
import { buildRun, findTask, type RunPlacement, standalone, validateInput } from "./prepareRun.js";
import { insertRuns, type NewRun } from "./sql/insertRuns.js";
import { isRetryable, reopenRuns } from "./sql/reopenRuns.js";

export interface EnqueuedRun {
  id: string;
  status: RunStatus;
}

/**
 * Validates every item against its task's schema and enqueues them all in one transaction, or
 * none. Pass a transaction as `db` to enqueue together with the caller's own writes. An item
 * whose idempotency key is live returns the run that holds it.
 */
export async function enqueueRuns(
  db: Executor,
  catalog: TaskCatalog,
  items: readonly EnqueueItem[],
  pathPrefix: (string | number)[] = [],
  placement: Partial<RunPlacement> = {},
): Promise<EnqueuedRun[]> {
  const now = new Date();
  const issues: InputIssue[] = [];
  const runs: NewRun[] = [];
  items.forEach((item, index) => {
    const prefix = items.length === 1 && pathPrefix.length === 0 ? [] : [...pathPrefix, index];
    const definition = findTask(catalog, item.task, [...prefix, "task"], issues);
    if (!definition) return;
    if (definition.keyConcurrency && item.options?.queue !== undefined) {
      issues.push({
        path: [...prefix, "options", "queue"],
        message: `task "${definition.name}" is limited per key and runs in its key's queue; it takes no queue`,
      });
      return;
    }
    const input = validateInput(definition, item.input, [...prefix, "input"], issues);
    if (input.ok)
      runs.push(buildRun(definition, input.value, item.options ?? {}, now, { ...standalone, ...placement }));
  });
  if (issues.length > 0) throw new InputError(issues);

  const write = async (tx: Executor) => {
    const inserted = await insertRuns(tx, runs);
    const duplicates = runs.filter((run) => !inserted.has(run.id));
    const existing = await findByIdempotencyKeys(
      tx,
      duplicates.flatMap((run) => (run.idempotencyKey ? [run.idempotencyKey] : [])),
    );
    return runs.map((run) => {
      if (inserted.has(run.id)) return { id: run.id, status: run.status };
      const holder = run.idempotencyKey ? existing.get(run.idempotencyKey) : undefined;
      if (!holder) throw new Error(`run ${run.id} was neither inserted nor deduplicated`);
      return holder;
    });
  };
  // Without idempotency keys the write is one statement, atomic by itself: no transaction's extra
  // round trips on the enqueue path.
  return runs.some((run) => run.idempotencyKey) ? db.transaction(write) : write(db);
}

async function findByIdempotencyKeys(db: Executor, keys: string[]): Promise<Map<string, EnqueuedRun>> {
  if (keys.length === 0) return new Map();
  const rows = await db
    .select({ id: schema.runs.id, status: schema.runs.status, key: schema.runIdempotencyKeys.key })
    .from(schema.runIdempotencyKeys)
    .innerJoin(schema.runs, eq(schema.runs.id, schema.runIdempotencyKeys.runId))
    .where(inArray(schema.runIdempotencyKeys.key, keys));
  return new Map(rows.flatMap((row) => (row.key ? [[row.key, { id: row.id, status: row.status }] as const] : [])));
}

// The row as the API shows it: without bookkeeping columns; summaries also without input and output.
const { updatedAt, idempotencyExpiresAt, pendingDependencies, inputMode, uncommonStatus, traceContext, ...runColumns } =
  getTableColumns(schema.runs);
const { input: _input, output: _output, ...summaryColumns } = runColumns;

export async function getRun(db: Executor, id: string): Promise<Run> {
  const [run] = await db.select(runColumns).from(schema.runs).where(eq(schema.runs.id, id)).limit(1);
  if (!run) throw new NotFoundError(`run ${id} does not exist`);
  return run;
}

export interface RunPage {
  items: RunSummary[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

/** Run rows without input and output, for listings and flow views. */
export async function listRunSummaries(
  db: Executor,
  where: SQL | undefined,
  orderBy: SQL,
  limit?: number,
): Promise<RunSummary[]> {
  const query = db.select(summaryColumns).from(schema.runs).where(where).orderBy(orderBy);
  return limit === undefined ? await query : await query.limit(limit);
}

/** Newest first, keyset-paginated on the time-ordered id, so deep pages cost the same as the first. */
export async function listRuns(db: Executor, query: z.output<typeof listRunsInputSchema>): Promise<RunPage> {
  const { status, task, queue, flowId, scheduleId, createdAfter, createdBefore, search, cursor, limit } = query;
  const conditions: SQL[] = [];
  if (status) conditions.push(hasStatus(status));
  if (task) conditions.push(eq(schema.runs.task, task));
  if (queue) conditions.push(eq(schema.runs.queue, queue));
  if (flowId) conditions.push(eq(schema.runs.flowId, flowId));
  if (scheduleId) conditions.push(eq(schema.runs.scheduleId, scheduleId));
  // The id bound (ids begin with their creation time) skips other days' partitions and starts
  // the index scan at the range; created_at keeps the filter exact.
  if (createdAfter) {
    conditions.push(gte(schema.runs.id, uuidFloor(createdAfter.getTime() - creationClockSlackMs)));
    conditions.push(gte(schema.runs.createdAt, createdAfter));
  }
  if (createdBefore) {
    conditions.push(lt(schema.runs.id, uuidFloor(createdBefore.getTime() + creationClockSlackMs)));
    conditions.push(lt(schema.runs.createdAt, createdBefore));
  }
  if (search) {
    const byKey = eq(schema.runs.idempotencyKey, search);
    const found = isUuid(search) ? or(eq(schema.runs.id, search), byKey) : byKey;
    if (found) conditions.push(found);
  }
  if (cursor) conditions.push(lt(schema.runs.id, cursor));
  const rows = await listRunSummaries(db, and(...conditions), desc(schema.runs.id), limit + 1);
  const page = rows.slice(0, limit);
  return {
    items: page,
    nextCursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null,
  };
}

const isUuid = (value: string) => z.uuid().safeParse(value).success;

/**
 * The status filter, phrased for the index that answers it: the uncommon statuses have their own;
 * runs queued, scheduled, retrying or running all have a graphile-worker job, so they are found
 * through the jobs table, which holds only live jobs; succeeded runs are most runs, found along
 * the id order.
 */
function hasStatus(status: RunStatus): SQL {
  switch (status) {
    case "waiting":
    case "failed":
    case "cancelled":
      return eq(schema.runs.uncommonStatus, status);
    case "queued":
    case "scheduled":
    case "retrying":
    case "running":
      return sql`${schema.runs.status} = ${status} and ${schema.runs.id} in (${runIdsWithJobs()})`;
    case "succeeded":
      return eq(schema.runs.status, status);
  }
}

/**
 * How far a run's id time (the enqueuing process's clock) may be from its `created_at` (the
 * database's): a time-range filter widens its id bound by this much.
 */
const creationClockSlackMs = 60_000;

/** Cancels many runs at once; finished ones are skipped. Returns the ids cancelled. */
export async function cancelManyRuns(db: Executor, ids: readonly string[]): Promise<string[]> {
  return (await cancelRuns(db, ids, "cancelled by request")).map((row) => row.id);
}

/** Retries every failed or cancelled run among `ids` that is not part of a flow; returns those retried. */
export function retryManyRuns(db: Executor, ids: readonly string[]): Promise<string[]> {
  return reopenRuns(db, ids);
}

/** Cancels an unfinished run; cancelling a cancelled run again is a no-op, a finished one is refused. */
export async function cancelRun(db: Executor, id: string): Promise<Run> {
  const run = await getRun(db, id);
  if (run.status === "succeeded" || run.status === "failed") {
    throw new InputError([
      { path: ["id"], message: `run ${id} already ${run.status}; only unfinished runs can be cancelled` },
    ]);
  }
  await cancelRuns(db, [id], "cancelled by request");
  return getRun(db, id);
}

/** Gives a failed or cancelled run one more attempt; its history (attempts, events) is kept. */
export async function retryRun(db: Executor, id: string): Promise<Run> {
  const run = await getRun(db, id);
  if (!isRetryable(run.status)) {
    throw new InputError([
      {
        path: ["id"],
        message: `run ${id} is ${run.status}; only ${statusGroups.retryable.join(" or ")} runs can be retried`,
      },
    ]);
  }
  if (run.flowId) {
    throw new InputError([
      { path: ["id"], message: `run ${id} belongs to flow ${run.flowId}; re-run it instead (runs.rerun)` },
    ]);
  }
  await reopenRuns(db, [id]);
  return getRun(db, id);
}

/** A new run of the same task and options, linked to the old one; the input is validated again. */
export async function rerunRun(db: Executor, catalog: TaskCatalog, id: string, input: unknown): Promise<EnqueuedRun> {
  const run = await getRun(db, id);
  const [enqueued] = await enqueueRuns(
    db,
    catalog,
    [
      {
        task: run.task,
        input: input === undefined ? run.input : input,
        options: {
          maxAttempts: run.maxAttempts,
          timeoutMs: run.timeoutMs,
          priority: run.priority,
          ...(run.queue ? { queue: run.queue } : {}),
        },
      },
    ],
    [],
    { rerunOf: id },
  );
  if (!enqueued) throw new Error("rerun enqueued nothing");
  return enqueued;
}
