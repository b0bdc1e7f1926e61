import { type RunStatus, terminalStatuses } from "@conveyor/shared";
import { type SQL, sql } from "drizzle-orm";
import { addRunJobsCte, jobStart } from "../jobs/runJobs.js";
import { notifyEvents } from "./notifyEvents.js";
import { rollUpCte } from "./rollUpRuns.js";

/*
 * Every statement that moves runs from one status to another has one shape: a CTE changes the
 * runs, then in the same statement each changed run gets its event, the runs that go on get their
 * graphile-worker job, runs that finished (or are reopened) move the overview's rollups, and the
 * new events are announced on commit. The statuses a transition may start from, the fence that
 * lets only the attempt holding a run change it, and that shape are written here once.
 */

/** Run statuses by where a run stands; every transition's where-clause names its from-statuses from here. */
export const statusGroups = {
  /** Waiting for an attempt to start, each with a job due for it. */
  pending: ["queued", "scheduled", "retrying"],
  /** Pending or running: the load a queue or key carries. */
  active: ["queued", "scheduled", "retrying", "running"],
  /**
   * A claim may start an attempt from these: pending, `running` (its worker died and its job came
   * back), or `waiting` (a suspended run whose wake-up came).
   */
  claimable: ["queued", "scheduled", "retrying", "running", "waiting"],
  /** An attempt's outcome that leaves a run in one of these gives it its next job. */
  continuing: ["queued", "scheduled", "retrying", "waiting"],
  /** Final unless retried. */
  finished: terminalStatuses,
  /** A run may be retried (`runs.retry`) from these. */
  retryable: ["failed", "cancelled"],
} as const satisfies Record<string, readonly RunStatus[]>;

/**
 * `column in (...)` over constant statuses, written as literals so that the planner can match
 * partial indexes on status.
 */
export function statusIn(column: string, statuses: readonly RunStatus[]): SQL {
  return sql.raw(`${column} in (${statuses.map((status) => `'${status}'`).join(", ")})`);
}

/**
 * The attempt fence: the run (alias `run`) is still held by attempt number `attempt`. A late
 * result of an abandoned, cancelled or superseded attempt fails it and changes nothing.
 */
export function heldByAttempt(run: string, attempt: SQL): SQL {
  return sql`${sql.raw(run)}.status = 'running' and ${sql.raw(run)}.attempts = ${attempt}`;
}

export interface TransitionEvent {
  type: SQL;
  payload: SQL;
  where?: SQL;
}

export interface TransitionSpec {
  /** The CTE that changed the runs: its rows have `id`, `flow_id` and whatever `event` and `jobs` read. */
  changed: string;
  /** Each changed run's event: its type and payload over the CTE's columns, for the rows `where` keeps. */
  event: TransitionEvent;
  /** An event the rows `where` keeps get just before their own (a claim recorded with its outcome). */
  eventBefore?: TransitionEvent;
  /**
   * The changed runs that go on get their job (replacing any under the run's key), due at `runAt`
   * (null: at once, by the database's clock), for the rows `where` keeps. The job carries what its
   * attempt needs to start before its claim (`jobStart`), so the CTE must return the runs' input,
   * attempts, max_attempts, timeout_ms, flow_id, trace_context and run_at.
   */
  jobs?: { runAt: SQL; where?: SQL };
  /** Counts finished runs into the overview (1), or back out of it (-1), from `source` (default: `changed`). */
  rollUp?: { sign: 1 | -1; source?: string };
}

/**
 * The runs columns (of alias `run`) a transition's changed CTE returns for its events and jobs:
 * id, flow_id, and what `runJobSpecs` and `jobStart` read.
 */
export function transitionColumns(run: string): SQL {
  return sql.raw(
    [
      "id",
      "flow_id",
      "task",
      "queue",
      "priority",
      "run_at",
      "input",
      "attempts",
      "max_attempts",
      "timeout_ms",
      "trace_context",
    ]
      .map((column) => `${run}.${column}`)
      .join(", "),
  );
}

/** A kind of transition; `ctes` and `effects` are the parts a statement writes it with. */
export class RunTransition {
  constructor(readonly spec: TransitionSpec) {}

  /** The CTEs that follow the `changed` CTE in the statement's `with` list. */
  get ctes(): SQL {
    return transitionCtes(this.spec);
  }

  /** The select-list items of a statement with this one transition (see `transitionEffects`). */
  get effects(): SQL {
    return transitionEffects(this);
  }
}

const names = (transition: TransitionSpec) => ({
  events: `${transition.changed}_events`,
  jobs: `${transition.changed}_jobs`,
  rolledUp: `${transition.changed}_rolled_up`,
});

function transitionCtes(transition: TransitionSpec): SQL {
  const name = names(transition);
  const { event, jobs, rollUp } = transition;
  const changed = sql.identifier(transition.changed);
  const ctes = [sql`${sql.identifier(name.events)} as (${insertEvents(changed, event, transition.eventBefore)})`];
  if (jobs) {
    ctes.push(
      addRunJobsCte(
        name.jobs,
        sql`(select id, task, queue, priority, ${jobs.runAt} as run_at, ${jobStart} as start from ${changed}
          ${where(jobs.where)})`,
      ),
    );
  }
  if (rollUp) ctes.push(rollUpCte(name.rolledUp, rollUp.source ?? transition.changed, rollUp.sign));
  return sql.join(ctes, sql`, `);
}

const where = (condition: SQL | undefined) => (condition ? sql`where ${condition}` : sql``);

/**
 * Inserts each changed row's event, after `before` where there is one: one insert whose rows come
 * in order, so a run's two events take ascending ids.
 */
function insertEvents(
  changed: SQL.Aliased | ReturnType<typeof sql.identifier>,
  event: TransitionEvent,
  before: TransitionEvent | undefined,
): SQL {
  if (!before) {
    return sql`insert into events (run_id, flow_id, type, payload)
      select id, flow_id, ${event.type}, ${event.payload} from ${changed} ${where(event.where)}
      returning id`;
  }
  return sql`insert into events (run_id, flow_id, type, payload)
      select run_id, flow_id, type, payload from (
        select id as run_id, flow_id, 0 as position, ${before.type} as type, ${before.payload} as payload
        from ${changed} ${where(before.where)}
        union all
        select id, flow_id, 1, ${event.type}, ${event.payload} from ${changed} ${where(event.where)}
      ) as e order by run_id, position
      returning id`;
}

/**
 * The select-list items a statement with these transitions must have: they make the job and
 * rollup CTEs run (a CTE that only selects runs only if read) and announce every new event in one
 * notification, with the highest event id, sent on commit so that listeners find the events.
 */
export function transitionEffects(...transitions: readonly RunTransition[]): SQL {
  const specs = transitions.map((transition) => transition.spec);
  const effects = [notifyEvents(...specs.map((spec) => names(spec).events))];
  for (const transition of specs) {
    const name = names(transition);
    if (transition.jobs)
      effects.push(sql`(select added from ${sql.identifier(name.jobs)}) as ${sql.identifier(name.jobs)}`);
    if (transition.rollUp) {
      effects.push(sql`(select count(*) from ${sql.identifier(name.rolledUp)}) as ${sql.identifier(name.rolledUp)}`);
    }
  }
  return sql.join(effects, sql`, `);
}
