import type { RunStatus } from "@conveyor/shared";
import { sql } from "drizzle-orm";
import type { Executor, schema } from "../../db/client.js";
import { metrics } from "../../metrics/metrics.js";
import { activeTraceparent, inSpan } from "../../tracing/tracing.js";
import { RunTransition, transitionColumns } from "../../transitions/runTransition.js";

export interface NewRun {
  id: string;
  task: string;
  status: Extract<RunStatus, "queued" | "scheduled" | "waiting">;
  /** null for flow runs whose input is built from their parents' outputs. */
  input: unknown;
  maxAttempts: number;
  timeoutMs: number;
  queue: string | null;
  priority: number;
  runAt: Date;
  flowId: string | null;
  flowNode: string | null;
  pendingDependencies: number;
  inputMode: schema.RunInputMode;
  idempotencyKey: string | null;
  idempotencyExpiresAt: Date | null;
  rerunOf: string | null;
  scheduleId: string | null;
  concurrencyKey: string | null;
}

/**
 * An enqueue: each new run's first event (`run.queued`, `run.scheduled` or `run.waiting`) and the
 * job of each that can run. Due runs take the database's clock (a null run_at), so a skewed app
 * clock cannot delay them.
 */
const enqueueTransition = new RunTransition({
  changed: "new_runs",
  event: { type: sql`'run.' || status`, payload: sql`jsonb_build_object('task', task, 'runAt', run_at)` },
  jobs: { runAt: sql`case when status = 'scheduled' then run_at end`, where: sql`status <> 'waiting'` },
});

/**
 * Inserts runs, their first events, the jobs of those that can run (not `waiting`) and the
 * announcement in one statement, so a run or a batch of thousands costs one round trip and needs
 * no transaction of its own; a run whose live idempotency key is taken is skipped (with its job).
 * Returns the ids inserted.
 */
export function insertRuns(db: Executor, runs: readonly NewRun[]): Promise<Set<string>> {
  return inSpan("conveyor.enqueue", { "conveyor.runs": runs.length }, () => writeRuns(db, runs, activeTraceparent()));
}

async function writeRuns(db: Executor, runs: readonly NewRun[], traceparent: string | null): Promise<Set<string>> {
  const rows = runs.map((run) => ({
    id: run.id,
    task: run.task,
    status: run.status,
    input: run.input ?? null,
    max_attempts: run.maxAttempts,
    timeout_ms: run.timeoutMs,
    queue: run.queue,
    priority: run.priority,
    run_at: run.runAt.toISOString(),
    flow_id: run.flowId,
    flow_node: run.flowNode,
    pending_dependencies: run.pendingDependencies,
    input_mode: run.inputMode,
    idempotency_key: run.idempotencyKey,
    idempotency_expires_at: run.idempotencyExpiresAt?.toISOString() ?? null,
    rerun_of: run.rerunOf,
    schedule_id: run.scheduleId,
    trace_context: traceparent,
    concurrency_key: run.concurrencyKey,
  }));
  const keys = runs.flatMap((run) => (run.idempotencyKey ? [run.idempotencyKey] : []));
  if (keys.length > 0) {
    // An expired key is released, so the run below may take it; the run that held it keeps it, for search.
    await db.execute(sql`
      delete from run_idempotency_keys
      where key in (select jsonb_array_elements_text(${JSON.stringify(keys)}::jsonb)) and expires_at <= now()`);
  }
  const result = await db.execute<{ id: string; task: string }>(sql`
    with input as (
      select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r(
        id uuid, task text, status text, input jsonb, max_attempts int, timeout_ms int, queue text, priority int,
        run_at timestamptz, flow_id uuid, flow_node text, pending_dependencies int, input_mode text,
        idempotency_key text, idempotency_expires_at timestamptz, rerun_of uuid, schedule_id uuid, trace_context text,
        concurrency_key text)
    ), keyed as (
      insert into run_idempotency_keys (key, run_id, expires_at)
      select idempotency_key, id, coalesce(idempotency_expires_at, 'infinity') from input
      where idempotency_key is not null
      on conflict (key) do nothing
      returning run_id
    ), new_runs as (
      insert into runs (id, task, status, input, max_attempts, timeout_ms, queue, priority, run_at, flow_id,
        flow_node, pending_dependencies, input_mode, idempotency_key, idempotency_expires_at, rerun_of, schedule_id,
        trace_context, concurrency_key)
      select id, task, status, coalesce(input, 'null'::jsonb), max_attempts, timeout_ms, queue, priority, run_at,
        flow_id, flow_node, pending_dependencies, input_mode, idempotency_key, idempotency_expires_at, rerun_of,
        schedule_id, trace_context, concurrency_key
      from input
      where idempotency_key is null or id in (select run_id from keyed)
      returning ${transitionColumns("runs")}, status
    ), ${enqueueTransition.ctes}
    select id, task, ${enqueueTransition.effects}
    from new_runs`);
  for (const row of result.rows) metrics.runsEnqueued.inc({ task: row.task });
  return new Set(result.rows.map((row) => row.id));
}
