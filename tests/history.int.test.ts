import { randomBytes } from "node:crypto";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import { runMigrations } from "graphile-worker";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabase, createPool, type Database } from "../server/src/db/client.js";
import { ensurePartitions, listPartitions, uuidFloor } from "../server/src/history/partitions.js";
import { applyRetention } from "../server/src/history/retention.js";
import { createLogger } from "../server/src/logger.js";
import { migrateDatabase } from "../server/src/schema/migrateDatabase.js";
import { readOverview } from "../server/src/stats/overview.js";
import { startTestConveyor } from "./fixtures/testConveyor.js";
import { createTestDatabase, type TestDatabase } from "./fixtures/testDatabase.js";

const dayMs = 86_400_000;
const logger = createLogger("silent");

/** A UUIDv7-shaped id created at `ms`. */
const idAt = (ms: number) => {
  const floor = uuidFloor(ms).replaceAll("-", "");
  const hex = `${floor.slice(0, 12)}7${randomBytes(10).toString("hex").slice(0, 19)}`;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
};

async function insertFinishedRun(db: Database, id: string, status: "succeeded" | "failed", finishedAt: Date) {
  await db.execute(sql`
    insert into runs (id, task, status, input, max_attempts, timeout_ms, attempts, created_at, started_at, finished_at)
    values (${id}, 'conveyor.noop', ${status}, '{}', 1, 1000, 1, ${finishedAt.toISOString()}::timestamptz,
      ${new Date(finishedAt.getTime() - 40).toISOString()}::timestamptz, ${finishedAt.toISOString()}::timestamptz)`);
}

const partitionOf = async (db: Database, table: "runs" | "events", id: string) => {
  const result = await db.execute<{ name: string }>(
    sql.raw(
      `select tableoid::regclass::text as name from ${table} where ${table === "runs" ? "id" : "run_id"} = '${id}' limit 1`,
    ),
  );
  return result.rows[0]?.name ?? null;
};

describe("a database from before partitioning", () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  const succeeded = idAt(Date.now() - 3 * dayMs);
  const failed = idAt(Date.now() - 2 * dayMs);
  const keyed = idAt(Date.now() - 60_000);

  beforeAll(async () => {
    database = await createTestDatabase("history_upgrade");
    pool = createPool(database.url, 4);
    // The schema as it was: every migration before partitioning.
    const migrations = fileURLToPath(new URL("../drizzle/migrations", import.meta.url));
    const before = await mkdtemp(join(tmpdir(), "conveyor-migrations-"));
    try {
      await cp(migrations, before, { recursive: true });
      const journalPath = join(before, "meta", "_journal.json");
      const journal = JSON.parse(await readFile(journalPath, "utf8")) as { entries: { tag: string }[] };
      journal.entries = journal.entries.filter((entry) => entry.tag < "0009");
      await writeFile(journalPath, JSON.stringify(journal));
      await runMigrations({ pgPool: pool });
      await migrate(drizzle(pool), { migrationsFolder: before });
    } finally {
      await rm(before, { recursive: true, force: true });
    }
    const db = createDatabase(pool);
    await insertFinishedRun(db, succeeded, "succeeded", new Date(Date.now() - 3 * dayMs));
    await insertFinishedRun(db, failed, "failed", new Date(Date.now() - 2 * dayMs));
    await db.execute(sql`
      insert into runs (id, task, status, input, max_attempts, timeout_ms, idempotency_key, idempotency_expires_at)
      values (${keyed}, 'conveyor.noop', 'succeeded', '{}', 1, 1000, 'order-17', now() + interval '1 hour')`);
    await db.execute(sql`
      insert into events (run_id, type, payload, created_at)
      values (${succeeded}, 'run.succeeded', '{}', now() - interval '3 days'), (${failed}, 'run.failed', '{}', now())`);
  });

  afterAll(async () => {
    await pool.end();
    await database.drop();
  });

  it("upgrades in place: rows, events, idempotency keys and the overview's history all kept", async () => {
    const { rows: eventsBefore } = await pool.query("select id, run_id, type from events order by id");
    await migrateDatabase(pool, logger);
    const db = createDatabase(pool);

    const { rows: runs } = await pool.query("select id, status from runs order by id");
    expect(runs).toEqual([
      { id: succeeded, status: "succeeded" },
      { id: failed, status: "failed" },
      { id: keyed, status: "succeeded" },
    ]);
    expect(await partitionOf(db, "runs", failed)).toBe("runs_initial");
    const { rows: eventsAfter } = await pool.query("select id, run_id, type from events order by id");
    expect(eventsAfter).toEqual(eventsBefore);
    // New events continue the same id sequence.
    const { rows: next } = await pool.query(
      "insert into events (run_id, type) values ($1, 'run.log') returning id::int as id",
      [failed],
    );
    expect(next[0].id).toBeGreaterThan(Math.max(...eventsBefore.map((row) => Number(row.id))));

    const overview = await readOverview(db, 7 * 24 * 60);
    expect(overview.throughput.reduce((sum, minute) => sum + minute.failed, 0)).toBe(1);
    expect(overview.throughput.reduce((sum, minute) => sum + minute.succeeded, 0)).toBe(1);

    const conveyor = await startTestConveyor(database.url, { worker: false });
    try {
      const again = await conveyor.client.runs.enqueue.mutate({
        task: "conveyor.noop",
        input: {},
        options: { idempotencyKey: "order-17" },
      });
      expect(again.id).toBe(keyed);
    } finally {
      await conveyor.close();
    }
  });
});

describe("retention by partition", () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let db: Database;
  const now = Date.now();
  const tomorrow = Math.floor(now / dayMs) * dayMs + dayMs;

  beforeAll(async () => {
    database = await createTestDatabase("history_retention");
    pool = createPool(database.url, 4);
    await migrateDatabase(pool, logger);
    db = createDatabase(pool);
  });

  afterAll(async () => {
    await pool.end();
    await database.drop();
  });

  it("creates a partition per day ahead, and puts each run and event in its day's", async () => {
    const names = (await listPartitions(db, "runs")).map((partition) => partition.name);
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10).replaceAll("-", "");
    expect(names).toEqual(["runs_initial", ...[0, 1, 2].map((n) => `runs_p${day(tomorrow + n * dayMs)}`)]);
    expect(await ensurePartitions(db, "runs", now, 3)).toEqual([]);

    const id = idAt(tomorrow + 3_600_000);
    await insertFinishedRun(db, id, "succeeded", new Date(tomorrow + 3_600_000));
    expect(await partitionOf(db, "runs", id)).toBe(`runs_p${day(tomorrow)}`);
  });

  it("drops a day of succeeded runs and keeps its failed ones, in a partition of their own", async () => {
    const day = tomorrow + dayMs;
    const gone = [idAt(day + 1_000), idAt(day + 2_000)];
    const kept = idAt(day + 3_000);
    for (const id of gone) await insertFinishedRun(db, id, "succeeded", new Date(day + 5_000));
    await insertFinishedRun(db, kept, "failed", new Date(day + 5_000));
    const partition = await partitionOf(db, "runs", kept);

    // Seven days after that day ended, with a seven-day retention for succeeded runs.
    const report = await applyRetention(db, day + dayMs + 7 * dayMs, {
      succeededRetentionMs: 7 * dayMs,
      eventRetentionMs: 30 * dayMs,
    });
    expect(report.runPartitions).toContainEqual({ name: partition, dropped: 2, kept: 1 });
    const { rows } = await pool.query("select id, status from runs where id = any($1::uuid[])", [[...gone, kept]]);
    expect(rows).toEqual([{ id: kept, status: "failed" }]);
    expect(await partitionOf(db, "runs", kept)).toBe(partition);

    // Nothing left to drop there: a second pass leaves it alone.
    const again = await applyRetention(db, day + dayMs + 7 * dayMs, {
      succeededRetentionMs: 7 * dayMs,
      eventRetentionMs: 30 * dayMs,
    });
    expect(again.runPartitions.map((entry) => entry.name)).not.toContain(partition);
  });

  it("drops a day with nothing to keep as a whole partition, and events by their day", async () => {
    const day = tomorrow + 2 * dayMs;
    const id = idAt(day + 1_000);
    await insertFinishedRun(db, id, "succeeded", new Date(day + 2_000));
    await db.execute(sql`
      insert into events (run_id, type, payload, created_at)
      values (${id}, 'run.succeeded', '{}', ${new Date(day + 2_000).toISOString()}::timestamptz)`);
    const runPartition = await partitionOf(db, "runs", id);
    const eventPartition = await partitionOf(db, "events", id);
    expect(eventPartition).toMatch(/^events_p\d{8}$/);

    const report = await applyRetention(db, day + dayMs + 30 * dayMs, {
      succeededRetentionMs: 7 * dayMs,
      eventRetentionMs: 30 * dayMs,
    });
    expect(report.runPartitions).toContainEqual({ name: runPartition, dropped: 1, kept: 0 });
    expect(report.eventPartitionsDropped).toContain(eventPartition);
    expect((await listPartitions(db, "runs")).map((partition) => partition.name)).not.toContain(runPartition);
    expect((await listPartitions(db, "events")).map((partition) => partition.name)).not.toContain(eventPartition);
  });
});
