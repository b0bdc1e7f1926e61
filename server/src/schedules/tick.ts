import { scheduleTargetSchema } from "@conveyor/shared";
import { eq } from "drizzle-orm";
import type { CronItem } from "graphile-worker";
import { z } from "zod";
import type { Executor } from "../db/client.js";
import { schema } from "../db/client.js";
import { InputError, type InputIssue, issuesFromZod } from "../errors.js";
import { enqueueFlow } from "../flows/service.js";
import type { AppLogger } from "../logger.js";
import { enqueueRuns } from "../runs/service.js";
import type { TaskCatalog } from "../tasks/catalog.js";
import { type CompiledCron, parseCron } from "./cron.js";
import { claimDueSchedule, type ScheduleRow } from "./sql/claimDueSchedule.js";

/**
 * How old a fire time may be and still count as the current one when a schedule has no
 * backfill window: a tick runs a little after its minute, and one minute is the tick's period.
 */
export const tickGraceMs = 60_000;

/**
 * Fire times one schedule enqueues in one tick at most, so one transaction stays bounded (an
 * every-minute schedule with a 7-day window could owe 10,080). The rest follow on later ticks.
 */
export const maxFiresPerTick = 1_000;

/** One fire time enqueued: a run for a task target, a flow for a flow target. */
export interface FiredTime {
  scheduleId: string;
  fireTime: Date;
  runId: string | null;
  flowId: string | null;
}

/** A schedule this tick could not fire. */
export interface ScheduleFailure {
  scheduleId: string;
  error: unknown;
  /**
   * True when retrying cannot help (its task is gone, its stored input no longer passes the
   * task's schema): the due times were skipped and the schedule moved on. False for anything
   * else (a lost connection): nothing was written, and the next tick tries the same times.
   */
  isSkipped: boolean;
}

export interface TickResult {
  fired: FiredTime[];
  failed: ScheduleFailure[];
}

export interface FireOptions {
  logger?: AppLogger;
  /**
   * The minute this tick stands for (graphile-worker's `_cron.ts`); `now` by default. The
   * backfill window is measured back from it, so a tick that waited behind busy workers still
   * fires the time due at its own minute instead of treating it as missed.
   */
  tickAt?: Date;
}

/**
 * Enqueues the target of every enabled schedule due at `now`, one transaction per schedule with
 * its row locked: the runs, `last_fired_at` and `next_fire_at` commit together or not at all,
 * and a concurrent tick skips the locked row, so no fire time is enqueued twice. Due times older
 * than the schedule's backfill window (at least `tickGraceMs`) are skipped.
 */
export async function fireDueSchedules(
  db: Executor,
  catalog: TaskCatalog,
  now: Date,
  options: FireOptions = {},
): Promise<TickResult> {
  const { logger } = options;
  const reference = new Date(Math.min((options.tickAt ?? now).getTime(), now.getTime()));
  const result: TickResult = { fired: [], failed: [] };
  // Schedules handled (or failed) in this tick: a failed one stays due and must not be claimed again.
  const passed: string[] = [];
  for (;;) {
    const claimedBefore = passed.length;
    try {
      const outcome = await db.transaction(async (tx) => {
        const row = await claimDueSchedule(tx, now, passed);
        if (!row) return null;
        passed.push(row.id);
        return fireSchedule(tx, catalog, row, now, reference, logger);
      });
      if (!outcome) break;
      result.fired.push(...outcome.fired);
      if (outcome.failure) result.failed.push(outcome.failure);
    } catch (error) {
      const scheduleId = passed.length > claimedBefore ? passed.at(-1) : undefined;
      // Without a claimed schedule the database itself failed: the whole tick fails and is retried.
      if (!scheduleId) throw error;
      logger?.error({ err: error, scheduleId }, "schedule not fired; the next tick tries again");
      result.failed.push({ scheduleId, error, isSkipped: false });
    }
  }
  return result;
}

interface FireOutcome {
  fired: FiredTime[];
  failure: ScheduleFailure | null;
}

async function fireSchedule(
  tx: Executor,
  catalog: TaskCatalog,
  row: ScheduleRow,
  now: Date,
  reference: Date,
  logger: AppLogger | undefined,
): Promise<FireOutcome> {
  const log = logger?.child({ scheduleId: row.id, schedule: row.name });
  const issues: InputIssue[] = [];
  const cron = parseCron(row.cron, row.timezone, issues);
  if (!cron) {
    // Saved expressions were valid when saved; one that stopped parsing (a croner upgrade) cannot
    // say when to fire next, so it stops being due rather than failing every tick.
    const error = new InputError(issues);
    log?.error({ err: error }, "schedule's stored expression no longer parses; it will not fire until updated");
    await advance(tx, row.id, null, null);
    return { fired: [], failure: { scheduleId: row.id, error, isSkipped: true } };
  }

  const { due, next } = dueFireTimes(cron, row, now, reference);
  if (due.length === 0) {
    log?.info({ nextFireAt: next }, "missed fire times were older than the backfill window; skipped");
    await advance(tx, row.id, null, next);
    return { fired: [], failure: null };
  }
  try {
    // A savepoint: a target that cannot be enqueued is undone alone, and the schedule still moves on.
    const fired = await tx.transaction((savepoint) => enqueueTarget(savepoint, catalog, row, due));
    log?.info({ fireTimes: due.length, first: due[0], last: due.at(-1), nextFireAt: next }, "schedule fired");
    await advance(tx, row.id, due.at(-1) ?? null, next);
    return { fired, failure: null };
  } catch (error) {
    if (!isPermanent(error)) throw error;
    log?.error(
      { err: error, skipped: due.length },
      "schedule's target cannot be enqueued; its due fire times are skipped",
    );
    await advance(tx, row.id, null, next);
    return { fired: [], failure: { scheduleId: row.id, error, isSkipped: true } };
  }
}

/**
 * The fire times to enqueue now and the next fire time after them. Due times are those from
 * `next_fire_at` up to `now` that are younger than the window, measured back from the tick's
 * own minute; the search starts at the window's edge, so weeks of downtime cost no more than
 * the window. At most `maxFiresPerTick`: then `next` is still due and the next tick continues.
 */
export function dueFireTimes(
  cron: CompiledCron,
  schedule: Pick<ScheduleRow, "nextFireAt" | "backfillWindowMs">,
  now: Date,
  reference: Date,
): { due: Date[]; next: Date | null } {
  const horizon = new Date(reference.getTime() - Math.max(schedule.backfillWindowMs, tickGraceMs));
  const stored = schedule.nextFireAt;
  let next = stored && stored.getTime() > horizon.getTime() ? stored : cron.nextAfter(horizon);
  const due: Date[] = [];
  while (next && next.getTime() <= now.getTime() && due.length < maxFiresPerTick) {
    due.push(next);
    next = cron.nextAfter(next);
  }
  return { due, next };
}

/** The idempotency key of one fire time's run. */
export function fireKey(scheduleId: string, fireTime: Date): string {
  return `schedule:${scheduleId}:${fireTime.toISOString()}`;
}

async function enqueueTarget(
  db: Executor,
  catalog: TaskCatalog,
  row: ScheduleRow,
  due: readonly Date[],
): Promise<FiredTime[]> {
  // Saved targets were valid when saved; one that stopped parsing is skipped like a vanished task.
  const parsed = scheduleTargetSchema.safeParse(row.target);
  if (!parsed.success) throw new InputError(issuesFromZod(parsed.error, ["target"]));
  const target = parsed.data;
  if (target.kind === "task") {
    // One batch for every due time: a long backfill is one insert, not one per fire time.
    const runs = await enqueueRuns(
      db,
      catalog,
      due.map((fireTime) => ({
        task: target.task,
        input: target.input,
        options: { ...target.options, idempotencyKey: fireKey(row.id, fireTime) },
      })),
      ["target"],
      { scheduleId: row.id },
    );
    return due.map((fireTime, index) => ({
      scheduleId: row.id,
      fireTime,
      runId: runs[index]?.id ?? null,
      flowId: null,
    }));
  }
  const fired: FiredTime[] = [];
  for (const fireTime of due) {
    const flow = await enqueueFlow(db, catalog, target.flow, { scheduleId: row.id, pathPrefix: ["target", "flow"] });
    fired.push({ scheduleId: row.id, fireTime, runId: null, flowId: flow.id });
  }
  return fired;
}

/** Sets the next fire time, and the last one when something was enqueued. */
async function advance(db: Executor, id: string, lastFiredAt: Date | null, nextFireAt: Date | null): Promise<void> {
  await db
    .update(schema.schedules)
    .set({ nextFireAt, ...(lastFiredAt ? { lastFiredAt } : {}) })
    .where(eq(schema.schedules.id, id));
}

/** Errors retrying cannot fix: the target no longer fits the catalog, or no longer parses. */
function isPermanent(error: unknown): boolean {
  return error instanceof InputError;
}

/** The graphile-worker task that runs a tick; add it to the worker's task list under `scheduleTickTaskName`. */
export const scheduleTickTaskName = "conveyor.schedules.tick";

/** Priority of the tick's job: ahead of every run (runs take -1000..1000), so queued runs cannot hold ticks back. */
export const scheduleTickPriority = -10_000;

/**
 * One tick every minute across the cluster: graphile-worker's cron records each minute it
 * scheduled, so many workers add one job per minute between them. No backfill: after downtime
 * each schedule's own window decides what is owed. A failed tick is retried a few times (a
 * database blip); what it still owes is measured from its own minute, so a retry fires the same.
 */
export const scheduleTickCronItem: CronItem = {
  task: scheduleTickTaskName,
  match: "* * * * *",
  identifier: scheduleTickTaskName,
  options: { backfillPeriod: 0, maxAttempts: 5, priority: scheduleTickPriority },
};

const tickPayloadSchema = z.object({ _cron: z.object({ ts: z.iso.datetime({ offset: true }) }).optional() });

export interface ScheduleTickDependencies {
  db: Executor;
  catalog: TaskCatalog;
  logger: AppLogger;
}

/**
 * The tick's task function, for the worker's task list under `scheduleTickTaskName`: fires what
 * is due by the real clock, measuring windows from its cron minute. It needs no job helpers.
 */
export function createScheduleTickTask({
  db,
  catalog,
  logger,
}: ScheduleTickDependencies): (payload: unknown) => Promise<void> {
  const log = logger.child({ component: "schedules" });
  return async (payload) => {
    const parsed = tickPayloadSchema.safeParse(payload);
    const ts = parsed.success ? parsed.data._cron?.ts : undefined;
    const { failed } = await fireDueSchedules(db, catalog, new Date(), {
      logger: log,
      ...(ts ? { tickAt: new Date(ts) } : {}),
    });
    const retryable = failed.filter((failure) => !failure.isSkipped);
    // Failing the job makes graphile-worker retry it soon; only these schedules are still due.
    if (retryable.length > 0) {
      const ids = retryable.map((failure) => failure.scheduleId).join(", ");
      throw new Error(`${retryable.length} schedule(s) could not fire: ${ids}`, { cause: retryable[0]?.error });
    }
  };
}
