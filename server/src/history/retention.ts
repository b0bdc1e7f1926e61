import { sql } from "drizzle-orm";
import type { Executor } from "../db/client.js";
import { listPartitions, type Partition, storedColumns, uuidFloor } from "./partitions.js";

export interface RetentionPolicy {
  /** Succeeded runs finished longer ago than this go; failed, cancelled and unfinished ones stay. */
  succeededRetentionMs: number;
  /** Events, and the overview's rollups, older than this go, whatever their run. */
  eventRetentionMs: number;
}

export interface RetentionReport {
  /** Runs partitions dropped whole, or replaced by a copy of the runs they keep. */
  runPartitions: { name: string; dropped: number; kept: number }[];
  eventPartitionsDropped: string[];
}

/**
 * Applies retention by partition: an events partition past the retention is dropped; a runs
 * partition past it is dropped, or, when it holds runs to keep, replaced in one transaction by
 * a new partition holding just those. Nothing deletes row by row on a busy table.
 */
export async function applyRetention(db: Executor, now: number, policy: RetentionPolicy): Promise<RetentionReport> {
  const runCutoff = now - policy.succeededRetentionMs;
  const eventCutoff = now - policy.eventRetentionMs;
  const report: RetentionReport = { runPartitions: [], eventPartitionsDropped: [] };
  for (const partition of await listPartitions(db, "runs")) {
    if (partition.to === null || partition.to > runCutoff) continue;
    const outcome = await pruneRunPartition(db, partition, runCutoff);
    if (outcome.dropped > 0) report.runPartitions.push({ name: partition.name, ...outcome });
  }
  for (const partition of await listPartitions(db, "events")) {
    if (partition.to === null || partition.to > eventCutoff) continue;
    await db.transaction(async (tx) => {
      await tx.execute(sql`set local lock_timeout = '10s'`);
      await tx.execute(sql.raw(`drop table ${partition.name}`));
    });
    report.eventPartitionsDropped.push(partition.name);
  }
  // Only rows nothing had a partition for land in the defaults; they are few, if any.
  const eventCutoffAt = new Date(eventCutoff).toISOString();
  await db.execute(sql`delete from events_default where created_at < ${eventCutoffAt}::timestamptz`);
  await db.execute(sql`delete from run_rollups where minute < ${eventCutoffAt}::timestamptz`);
  await db.execute(sql`delete from emitted_events where created_at < ${eventCutoffAt}::timestamptz`);
  return report;
}

async function pruneRunPartition(
  db: Executor,
  partition: Partition,
  cutoff: number,
): Promise<{ dropped: number; kept: number }> {
  const name = partition.name;
  const keep = sql.raw(`not (status = 'succeeded' and finished_at < '${new Date(cutoff).toISOString()}'::timestamptz)`);
  const due = await db.execute<{ any: boolean }>(
    sql`select exists (select 1 from ${sql.identifier(name)} where not (${keep})) as any`,
  );
  if (!due.rows[0]?.any) return { dropped: 0, kept: 0 };
  const from = uuidFloor(partition.from ?? 0);
  const to = uuidFloor(partition.to ?? 0);
  const bounds = partition.from === null ? "minvalue" : `'${from}'`;
  return db.transaction(async (tx) => {
    await tx.execute(sql`set local lock_timeout = '10s'`);
    // Writers wait while the runs to keep are copied (a retry of an old failed run, say), so
    // none of their changes is left behind in the partition that goes.
    await tx.execute(sql.raw(`lock table ${name} in share mode`));
    const copy = `${name}_kept`;
    await tx.execute(
      sql.raw(
        `create table ${copy} (like runs including defaults including constraints including generated) with (fillfactor = 70)`,
      ),
    );
    const total = await tx.execute<{ n: number }>(sql.raw(`select count(*)::int as n from ${name}`));
    const totalNow = total.rows[0]?.n ?? 0;
    const columns = sql.raw(await storedColumns(tx, "runs"));
    const copied = await tx.execute(
      sql`insert into ${sql.identifier(copy)} (${columns}) select ${columns} from ${sql.identifier(name)} where ${keep}`,
    );
    const keptNow = copied.rowCount ?? 0;
    await tx.execute(sql.raw(`alter table runs detach partition ${name}`));
    await tx.execute(sql.raw(`drop table ${name}`));
    if (keptNow === 0) {
      await tx.execute(sql.raw(`drop table ${copy}`));
    } else {
      // The check lets the attach skip scanning the copy for rows out of range.
      await tx.execute(
        sql.raw(`alter table ${copy} add constraint ${copy}_range check (id >= '${from}' and id < '${to}')`),
      );
      await tx.execute(sql.raw(`alter table runs attach partition ${copy} for values from (${bounds}) to ('${to}')`));
      await tx.execute(sql.raw(`alter table ${copy} drop constraint ${copy}_range`));
      await tx.execute(sql.raw(`alter table ${copy} rename to ${name}`));
    }
    // Dependency edges of runs that went: a small table, found by its indexes on both ends.
    await tx.execute(sql`
      delete from run_dependencies d
      where ((d.run_id >= ${from}::uuid and d.run_id < ${to}::uuid)
          or (d.depends_on >= ${from}::uuid and d.depends_on < ${to}::uuid))
        and (not exists (select 1 from runs r where r.id = d.run_id)
          or not exists (select 1 from runs r where r.id = d.depends_on))`);
    // Steps of runs that went: the primary key's range on the run id finds them.
    await tx.execute(sql`
      delete from run_steps s
      where s.run_id >= ${from}::uuid and s.run_id < ${to}::uuid
        and not exists (select 1 from runs r where r.id = s.run_id)`);
    return { dropped: totalNow - keptNow, kept: keptNow };
  });
}
