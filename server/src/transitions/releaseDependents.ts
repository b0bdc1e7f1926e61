import { sql } from "drizzle-orm";
import type { Executor } from "../db/client.js";
import { uuidArray } from "../db/uuidArray.js";
import { RunTransition, transitionColumns } from "./runTransition.js";

/** A release: the run's `run.queued` event and its job, due at once. */
const releaseTransition = new RunTransition({
  changed: "released",
  event: {
    type: sql`'run.queued'`,
    payload: sql`jsonb_build_object('task', task, 'reason', 'dependencies succeeded')`,
  },
  jobs: { runAt: sql`null::timestamptz` },
});

/**
 * Counts down the dependencies of every run waiting on `succeededIds` and queues those that reach
 * zero, with their input built from their parents' outputs, and their jobs. Returns the ids queued. The countdown is an UPDATE of the
 * waiting row, so parents finishing at the same moment in other transactions queue it exactly
 * once: each waits for the other's row lock and counts from the committed value.
 */
export async function releaseDependents(db: Executor, succeededIds: readonly string[]): Promise<string[]> {
  if (succeededIds.length === 0) return [];
  const ready = await db.execute<{ id: string; pending_dependencies: number }>(sql`
    with finished as (
      select d.run_id, count(*)::int as n
      from run_dependencies d
      where d.depends_on = any(${uuidArray(succeededIds)}::uuid[])
      group by d.run_id
    ), locked as (
      -- One lock order for every transaction, so concurrent releases cannot deadlock.
      select r.id from runs r where r.id in (select run_id from finished) order by r.id for update
    )
    update runs r set pending_dependencies = r.pending_dependencies - f.n, updated_at = now()
    from finished f
    where r.id = f.run_id and r.id in (select id from locked) and r.status = 'waiting'
    returning r.id, r.pending_dependencies`);
  const readyIds = ready.rows.filter((row) => row.pending_dependencies === 0).map((row) => row.id);
  if (readyIds.length === 0) return [];

  const released = await db.execute<{ id: string }>(sql`
    with inputs as (
      select r.id,
        case r.input_mode
          when 'previous' then (
            select p.output from run_dependencies d join runs p on p.id = d.depends_on
            where d.run_id = r.id order by d.position limit 1)
          when 'results' then coalesce(nullif(r.input, 'null'::jsonb), '{}'::jsonb) || jsonb_build_object('results', (
            select jsonb_agg(p.output order by d.position) from run_dependencies d join runs p on p.id = d.depends_on
            where d.run_id = r.id))
          when 'parents' then (
            select jsonb_object_agg(d.parent_name, p.output) from run_dependencies d join runs p on p.id = d.depends_on
            where d.run_id = r.id)
          else r.input
        end as input
      from runs r
      where r.id = any(${uuidArray(readyIds)}::uuid[])
    ), released as (
      update runs r set status = 'queued', input = coalesce(i.input, 'null'::jsonb), run_at = now(), updated_at = now()
      from inputs i
      where r.id = i.id and r.status = 'waiting'
      returning ${transitionColumns("r")}
    ), ${releaseTransition.ctes}
    select id, ${releaseTransition.effects}
    from released`);
  return released.rows.map((row) => row.id);
}
