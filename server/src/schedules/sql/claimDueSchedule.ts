import { and, asc, eq, lte, sql } from "drizzle-orm";
import type { Executor } from "../../db/client.js";
import { schema } from "../../db/client.js";

export type ScheduleRow = typeof schema.schedules.$inferSelect;

/**
 * Locks one enabled schedule due at `now`, skipping rows another tick holds and the ids in
 * `passed` (already handled or failed in this tick), or returns null. `skip locked` is what
 * lets ticks on many workers share the work without ever firing one schedule twice: the row
 * stays locked until its `next_fire_at` has moved past the times enqueued, in the same
 * transaction. Call it inside a transaction.
 */
export async function claimDueSchedule(
  db: Executor,
  now: Date,
  passed: readonly string[],
): Promise<ScheduleRow | null> {
  const [row] = await db
    .select()
    .from(schema.schedules)
    .where(
      and(
        eq(schema.schedules.enabled, true),
        lte(schema.schedules.nextFireAt, now),
        passed.length > 0 ? sql`${schema.schedules.id} <> all(${`{${passed.join(",")}}`}::uuid[])` : undefined,
      ),
    )
    .orderBy(asc(schema.schedules.nextFireAt))
    .limit(1)
    .for("update", { skipLocked: true });
  return row ?? null;
}
