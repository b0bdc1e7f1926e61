import type { StepKind, StepStatus } from "@conveyor/shared";
import { sql } from "drizzle-orm";
import type { Executor } from "../../db/client.js";
import { heldByAttempt } from "../../transitions/runTransition.js";

export interface StepRecord {
  runId: string;
  /** The attempt that records it: refused unless that attempt still holds the run. */
  attempt: number;
  name: string;
  kind: StepKind;
  status: StepStatus;
  output: unknown;
  waitUntil: Date | null;
  eventName: string | null;
  match: Record<string, unknown> | null;
  /** When the step's work began, by the worker's clock (the clock its finish is taken on); now when null. */
  startedAt: Date | null;
}

export type RecordedStep =
  /** The attempt no longer holds its run (cancelled, or reclaimed after this worker was cut off). */
  { held: false } | { held: true; stored: { status: StepStatus; output: unknown } };

/**
 * Stores a step's result or its wait, only while `attempt` holds the run. A completed step is
 * never overwritten: when a wait was completed by an event just before this attempt marked it
 * timed out, the stored completion wins and is returned.
 */
export async function recordStep(db: Executor, step: StepRecord): Promise<RecordedStep> {
  // A step's start and finish are both taken on the worker's clock; a sleep's or wait's on the database's.
  const finishedAt = step.status === "waiting" ? null : step.startedAt ? new Date().toISOString() : "now";
  const result = await db.execute<{ held: boolean; status: StepStatus | null; output: unknown }>(sql`
    with holder as (
      select 1 from runs r where r.id = ${step.runId}::uuid and ${heldByAttempt("r", sql`${step.attempt}::int`)}
    ), written as (
      insert into run_steps (run_id, name, kind, status, output, wait_until, event_name, match, attempt, started_at, finished_at)
      select ${step.runId}::uuid, ${step.name}, ${step.kind}, ${step.status}, ${JSON.stringify(step.output ?? null)}::jsonb,
        ${step.waitUntil?.toISOString() ?? null}::timestamptz, ${step.eventName}, ${step.match === null ? null : JSON.stringify(step.match)}::jsonb,
        ${step.attempt}::int, coalesce(${step.startedAt?.toISOString() ?? null}::timestamptz, now()),
        case when ${finishedAt}::text = 'now' then now() else ${finishedAt}::timestamptz end
      from holder
      on conflict (run_id, name) do update set
        status = excluded.status, output = excluded.output, wait_until = excluded.wait_until,
        event_name = excluded.event_name, match = excluded.match, attempt = excluded.attempt,
        finished_at = excluded.finished_at
      where run_steps.status = 'waiting'
      returning status, output
    )
    select exists (select from holder) as held,
      coalesce((select status from written),
        (select status from run_steps where run_id = ${step.runId}::uuid and name = ${step.name})) as status,
      coalesce((select output from written),
        (select output from run_steps where run_id = ${step.runId}::uuid and name = ${step.name})) as output`);
  const row = result.rows[0];
  if (!row?.held || row.status === null) return { held: false };
  return { held: true, stored: { status: row.status, output: row.output } };
}
