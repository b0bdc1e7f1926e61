import type { LogLevel, RunProgress } from "@conveyor/shared";
import { sql } from "drizzle-orm";
import type { Executor } from "../../db/client.js";
import { uuidArray } from "../../db/uuidArray.js";
import { notifyEvents } from "../../transitions/notifyEvents.js";
import { heldByAttempt } from "../../transitions/runTransition.js";
import { commitWithoutFlushWait } from "./commitWithoutFlushWait.js";

export interface LogLine {
  level: LogLevel;
  message: string;
  fields: Record<string, unknown> | null;
  at: Date;
}

/** What one running attempt reported since its last flush. */
export interface Activity {
  runId: string;
  flowId: string | null;
  attempt: number;
  progress: RunProgress | null;
  logs: LogLine[];
}

/**
 * Stores progress on the run and appends progress and log events, for a batch of attempts, in
 * one statement. Progress of an attempt that no longer holds its run is dropped; logs are kept.
 * Commits without waiting for the flush, as outcomes do: the attempt's job ends in a later,
 * flushed commit, and its notification would otherwise hold every other notifying commit behind
 * this one's flush.
 */
export async function recordActivity(db: Executor, activities: readonly Activity[]): Promise<void> {
  const progressRows = activities
    .filter((activity) => activity.progress !== null)
    .map((activity) => ({ run_id: activity.runId, attempt: activity.attempt, progress: activity.progress }));
  const eventRows = activities.flatMap((activity) => [
    ...activity.logs.map((line) => ({
      run_id: activity.runId,
      flow_id: activity.flowId,
      type: "run.log",
      payload: { attempt: activity.attempt, level: line.level, message: line.message, fields: line.fields },
      created_at: line.at.toISOString(),
    })),
    ...(activity.progress === null
      ? []
      : [
          {
            run_id: activity.runId,
            flow_id: activity.flowId,
            type: "run.progress",
            payload: { attempt: activity.attempt, ...activity.progress },
            created_at: new Date().toISOString(),
          },
        ]),
  ]);
  if (eventRows.length === 0) return;
  await db.execute(sql`
    with progressed as (
      update runs r set progress = p.progress, updated_at = now()
      from jsonb_to_recordset(${JSON.stringify(progressRows)}::jsonb) as p(run_id uuid, attempt int, progress jsonb)
      where r.id = any(${uuidArray(progressRows.map((row) => row.run_id))}::uuid[])
        and r.id = p.run_id and ${heldByAttempt("r", sql`p.attempt`)}
      returning r.id
    ), recorded as (
      insert into events (run_id, flow_id, type, payload, created_at)
      select run_id, flow_id, type, payload, created_at
      from jsonb_to_recordset(${JSON.stringify(eventRows)}::jsonb) as e(
        run_id uuid, flow_id uuid, type text, payload jsonb, created_at timestamptz)
      returning id
    )
    select (select count(*) from progressed) as progressed, ${commitWithoutFlushWait},
      ${notifyEvents("recorded")}`);
}
