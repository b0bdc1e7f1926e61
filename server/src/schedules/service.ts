import {
  type CreateScheduleInput,
  createScheduleInputSchema,
  type ListSchedulesInput,
  listSchedulesInputSchema,
  type PreviewScheduleInput,
  previewScheduleInputSchema,
  type Schedule,
  type SchedulePreview,
  type ScheduleTarget,
  scheduleTargetSchema,
  type UpdateScheduleInput,
  updateScheduleInputSchema,
} from "@conveyor/shared";
import { asc, eq, gt, sql } from "drizzle-orm";
import type { z } from "zod";
import type { Executor } from "../db/client.js";
import { schema } from "../db/client.js";
import { violatedUniqueConstraint } from "../db/pgErrors.js";
import { describeZodError, InputError, type InputIssue, issuesFromZod, NotFoundError } from "../errors.js";
import type { TaskCatalog } from "../tasks/catalog.js";
import { compileCron, describeCron, parseCron } from "./cron.js";
import type { ScheduleRow } from "./sql/claimDueSchedule.js";
import { checkTarget } from "./target.js";

/**
 * Saves a new schedule after checking its expression, timezone and target; its first fire time
 * is the first one after `now`. A name already in use is an `InputError` on `name`.
 */
export async function createSchedule(
  db: Executor,
  catalog: TaskCatalog,
  input: CreateScheduleInput,
  now: Date = new Date(),
): Promise<Schedule> {
  const parsed = parseInput(createScheduleInputSchema, input);
  const issues: InputIssue[] = [];
  const cron = parseCron(parsed.cron, parsed.timezone, issues);
  checkTarget(catalog, parsed.target, ["target"], issues);
  if (!cron || issues.length > 0) throw new InputError(issues);
  const [row] = await db
    .insert(schema.schedules)
    .values({
      name: parsed.name,
      cron: parsed.cron,
      timezone: cron.timezone,
      target: parsed.target,
      enabled: parsed.enabled,
      backfillWindowMs: parsed.backfillWindowMs,
      nextFireAt: parsed.enabled ? cron.nextAfter(now) : null,
    })
    .onConflictDoNothing({ target: schema.schedules.name })
    .returning();
  if (!row) throw nameTaken(parsed.name);
  return toSchedule(row);
}

/**
 * Changes the fields given. A new expression or timezone, or enabling, computes the next fire
 * time from `now`, so the change applies to the very next tick and missed times do not burst
 * out; disabling clears it. The row is locked, so a tick firing it finishes first.
 */
export async function updateSchedule(
  db: Executor,
  catalog: TaskCatalog,
  input: UpdateScheduleInput,
  now: Date = new Date(),
): Promise<Schedule> {
  const { id, ...changes } = parseInput(updateScheduleInputSchema, input);
  return db.transaction(async (tx) => {
    const [current] = await tx.select().from(schema.schedules).where(eq(schema.schedules.id, id)).for("update");
    if (!current) throw new NotFoundError(`schedule ${id} does not exist`);
    const expression = changes.cron ?? current.cron;
    const enabled = changes.enabled ?? current.enabled;
    const isRetimed =
      expression !== current.cron ||
      (changes.timezone !== undefined && changes.timezone !== current.timezone) ||
      enabled !== current.enabled;
    const needsCron = changes.cron !== undefined || changes.timezone !== undefined || (enabled && isRetimed);
    const issues: InputIssue[] = [];
    const cron = needsCron ? parseCron(expression, changes.timezone ?? current.timezone, issues) : null;
    if (changes.target) checkTarget(catalog, changes.target, ["target"], issues);
    if (issues.length > 0) throw new InputError(issues);
    let nextFireAt = current.nextFireAt;
    if (!enabled) nextFireAt = null;
    else if (isRetimed && cron) nextFireAt = cron.nextAfter(now);
    try {
      const [row] = await tx
        .update(schema.schedules)
        .set({
          ...changes,
          ...(cron ? { timezone: cron.timezone } : {}),
          nextFireAt,
          updatedAt: sql`now()`,
        })
        .where(eq(schema.schedules.id, id))
        .returning();
      if (!row) throw new Error(`schedule ${id} vanished while locked`);
      return toSchedule(row);
    } catch (error) {
      if (changes.name !== undefined && violatedUniqueConstraint(error) !== null) throw nameTaken(changes.name);
      throw error;
    }
  });
}

/** Stops firing; the definition stays. Pausing a paused schedule leaves it paused. */
export function pauseSchedule(db: Executor, catalog: TaskCatalog, id: string, now: Date = new Date()) {
  return updateSchedule(db, catalog, { id, enabled: false }, now);
}

/**
 * Fires again from the first fire time after `now`: times missed while paused are not
 * backfilled, whatever the window. Resuming a running schedule keeps its next fire time.
 */
export function resumeSchedule(db: Executor, catalog: TaskCatalog, id: string, now: Date = new Date()) {
  return updateSchedule(db, catalog, { id, enabled: true }, now);
}

/** Deletes the schedule and returns it as it was; runs it enqueued keep their `scheduleId`. */
export async function deleteSchedule(db: Executor, id: string): Promise<Schedule> {
  const [row] = await db.delete(schema.schedules).where(eq(schema.schedules.id, id)).returning();
  if (!row) throw new NotFoundError(`schedule ${id} does not exist`);
  return toSchedule(row);
}

export async function getSchedule(db: Executor, id: string): Promise<Schedule> {
  const [row] = await db.select().from(schema.schedules).where(eq(schema.schedules.id, id));
  if (!row) throw new NotFoundError(`schedule ${id} does not exist`);
  return toSchedule(row);
}

export interface SchedulePage {
  items: Schedule[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

/** By name, keyset-paginated on the unique name, so a page reads the same rows whatever fires meanwhile. */
export async function listSchedules(db: Executor, query: ListSchedulesInput = {}): Promise<SchedulePage> {
  const { cursor, limit } = parseInput(listSchedulesInputSchema, query);
  const rows = await db
    .select()
    .from(schema.schedules)
    .where(cursor === undefined ? undefined : gt(schema.schedules.name, cursor))
    .orderBy(asc(schema.schedules.name))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  return {
    items: page.map(toSchedule),
    nextCursor: rows.length > limit ? (page.at(-1)?.name ?? null) : null,
  };
}

/** The expression in words and its next fire times after `after` (now by default). */
export function previewSchedule(input: PreviewScheduleInput, now: Date = new Date()): SchedulePreview {
  const parsed = parseInput(previewScheduleInputSchema, input);
  const cron = compileCron(parsed.cron, parsed.timezone);
  return { description: cron.describe(), next: cron.nextTimes(parsed.after ?? now, parsed.count) };
}

/** A stored target, read back through its schema; a row that no longer parses is a server fault, not the caller's. */
function readTarget(row: Pick<ScheduleRow, "id" | "target">): ScheduleTarget {
  const parsed = scheduleTargetSchema.safeParse(row.target);
  if (!parsed.success) {
    throw new Error(`schedule ${row.id} holds an invalid target: ${describeZodError(parsed.error)}`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
}

function toSchedule(row: ScheduleRow): Schedule {
  return {
    id: row.id,
    name: row.name,
    cron: row.cron,
    timezone: row.timezone,
    target: readTarget(row),
    enabled: row.enabled,
    backfillWindowMs: row.backfillWindowMs,
    description: describeCron(row.cron, row.timezone),
    lastFiredAt: row.lastFiredAt,
    nextFireAt: row.nextFireAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function parseInput<S extends z.ZodType>(inputSchema: S, input: unknown): z.output<S> {
  const parsed = inputSchema.safeParse(input);
  if (!parsed.success) throw new InputError(issuesFromZod(parsed.error));
  return parsed.data;
}

function nameTaken(name: string): InputError {
  return new InputError([{ path: ["name"], message: `a schedule named "${name}" already exists` }]);
}
