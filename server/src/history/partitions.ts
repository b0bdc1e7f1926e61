import { sql } from "drizzle-orm";
import type { Executor } from "../db/client.js";

/** The partitioned history tables: `runs` by its time-ordered id, `events` by `created_at`. */
export type HistoryTable = "runs" | "events";

export const dayMs = 86_400_000;

/** A partition's range as creation times in ms since the epoch; null is unbounded. */
export interface Partition {
  name: string;
  from: number | null;
  to: number | null;
}

/** The creation time a UUIDv7 id begins with. */
export function uuidTime(id: string): number {
  return Number.parseInt(id.replaceAll("-", "").slice(0, 12), 16);
}

/** The smallest UUIDv7 id of the instant `ms` (as `conveyor_uuid_floor` in SQL). */
export function uuidFloor(ms: number): string {
  const hex = Math.floor(ms).toString(16).padStart(12, "0");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-0000-0000-000000000000`;
}

function boundTime(table: HistoryTable, bound: string): number | null {
  if (bound === "MINVALUE" || bound === "MAXVALUE") return null;
  const literal = bound.replace(/^'|'$/g, "");
  return table === "runs" ? uuidTime(literal) : Date.parse(literal);
}

/** The range partitions of `table`, oldest first; the default partition is left out. */
export async function listPartitions(db: Executor, table: HistoryTable): Promise<Partition[]> {
  const result = await db.execute<{ name: string; bound: string }>(sql`
    select c.relname as name, pg_get_expr(c.relpartbound, c.oid) as bound
    from pg_inherits i join pg_class c on c.oid = i.inhrelid
    where i.inhparent = ${table}::regclass`);
  const partitions: Partition[] = [];
  for (const row of result.rows) {
    const match = /^FOR VALUES FROM \((.+)\) TO \((.+)\)$/.exec(row.bound);
    if (!match?.[1] || !match[2]) continue;
    partitions.push({ name: row.name, from: boundTime(table, match[1]), to: boundTime(table, match[2]) });
  }
  return partitions.sort((a, b) => (a.from ?? Number.NEGATIVE_INFINITY) - (b.from ?? Number.NEGATIVE_INFINITY));
}

/** The SQL literal of a partition bound at `ms` for `table`. */
function boundLiteral(table: HistoryTable, ms: number): string {
  return table === "runs" ? `'${uuidFloor(ms)}'` : `'${new Date(ms).toISOString()}'`;
}

const partitionKey = { runs: "id", events: "created_at" } as const;

/** Room on each page for updated row versions, so a run's status changes stay HOT where they can. */
const storage = { runs: "with (fillfactor = 70)", events: "" } as const;

const dayName = (ms: number) => new Date(ms).toISOString().slice(0, 10).replaceAll("-", "");

/**
 * Creates a partition of `table` for each UTC day from the end of the newest one through
 * `daysAhead` days after `now`. Returns the names created.
 */
export async function ensurePartitions(
  db: Executor,
  table: HistoryTable,
  now: number,
  daysAhead: number,
): Promise<string[]> {
  const partitions = await listPartitions(db, table);
  const today = Math.floor(now / dayMs) * dayMs;
  const newestEnd = Math.max(...partitions.map((partition) => partition.to ?? Number.NEGATIVE_INFINITY));
  return createDayPartitions(db, table, Math.max(today, newestEnd), today + (daysAhead + 1) * dayMs);
}

/**
 * Creates a partition of `table` for each UTC day in [from, to) (day-aligned). Rows that went
 * to the default partition meanwhile move into their day's partition in the same transaction.
 */
export async function createDayPartitions(db: Executor, table: HistoryTable, from: number, to: number) {
  const created: string[] = [];
  for (let day = from; day < to; day += dayMs) {
    const name = `${table}_p${dayName(day)}`;
    await createPartition(db, table, name, day, day + dayMs);
    created.push(name);
  }
  return created;
}

async function createPartition(db: Executor, table: HistoryTable, name: string, from: number, to: number) {
  const key = partitionKey[table];
  const range = `${key} >= ${boundLiteral(table, from)} and ${key} < ${boundLiteral(table, to)}`;
  await db.transaction(async (tx) => {
    await tx.execute(sql`set local lock_timeout = '10s'`);
    await tx.execute(
      sql.raw(
        `create table ${name} (like ${table} including defaults including constraints including generated) ${storage[table]}`,
      ),
    );
    const columns = await storedColumns(tx, table);
    await tx.execute(
      sql.raw(`with moved as (delete from ${table}_default where ${range} returning ${columns})
        insert into ${name} (${columns}) select ${columns} from moved`),
    );
    // The check lets the attach skip scanning the new partition for rows out of range.
    await tx.execute(sql.raw(`alter table ${name} add constraint ${name}_range check (${range})`));
    await tx.execute(
      sql.raw(
        `alter table ${table} attach partition ${name} for values from (${boundLiteral(table, from)}) to (${boundLiteral(table, to)})`,
      ),
    );
    await tx.execute(sql.raw(`alter table ${name} drop constraint ${name}_range`));
  });
}

/** `table`'s columns that hold written values (not generated ones), as a select list. */
export async function storedColumns(db: Executor, table: string): Promise<string> {
  const result = await db.execute<{ name: string }>(sql`
    select quote_ident(attname) as name from pg_attribute
    where attrelid = ${table}::regclass and attnum > 0 and not attisdropped and attgenerated = ''
    order by attnum`);
  return result.rows.map((row) => row.name).join(", ");
}
