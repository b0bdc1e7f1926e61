import { sql } from "drizzle-orm";
import type { Executor } from "../../db/client.js";

/**
 * Takes one start from the task's current fixed window, shared by every worker. Returns null when
 * a slot was taken, or when the next window opens if this one is full.
 */
export async function takeRateSlot(
  db: Executor,
  task: string,
  limit: { max: number; perMs: number },
): Promise<Date | null> {
  const result = await db.execute<{ used: number | null; next_window: string }>(sql`
    with window_start as (
      select to_timestamp(floor(extract(epoch from now()) * 1000 / ${limit.perMs}::int) * ${limit.perMs}::int / 1000.0) as at
    ), taken as (
      insert into task_rate_windows (task, window_start, used)
      select ${task}, at, 1 from window_start
      on conflict (task, window_start) do update set used = task_rate_windows.used + 1
        where task_rate_windows.used < ${limit.max}::int
      returning used
    )
    select (select used from taken) as used,
      (select at + ${limit.perMs}::int * interval '1 millisecond' from window_start) as next_window`);
  const row = result.rows[0];
  if (!row || row.used !== null) return null;
  return new Date(row.next_window);
}
