import { eventsChannel } from "@conveyor/shared";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { collect, untilReceived } from "./fixtures/eventCollector.js";
import { startPrivatePostgres } from "./fixtures/privatePostgres.js";
import { latestEventId, startTestConveyor } from "./fixtures/testConveyor.js";

// Commits that do not wait for the WAL flush (as claims and completions are made) stay volatile
// for up to wal_writer_delay after the WAL writer's last flush; ten seconds makes that window
// wide enough to crash inside it.
const postgres = await startPrivatePostgres({ wal_writer_delay: "10000ms" });
afterAll(() => postgres.destroy());
const databaseUrl = `${postgres.serverUrl}/conveyor_durability`;
const app = await startTestConveyor(databaseUrl, { worker: false });
afterAll(() => app.close());

async function writeVolatileEvents(count: number, label: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(
      `with added as (
         insert into events (type, payload)
         select 'run.log', jsonb_build_object('label', $1::text, 'n', n) from generate_series(1, $2::int) n
         returning id)
       select set_config('synchronous_commit', 'off', true), pg_notify($3, max(id)::text) from added`,
      [label, count, eventsChannel],
    );
  } finally {
    await client.end();
  }
}

/** Resolves once everything written so far is on disk. */
async function untilWalFlushed(): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const target = (await client.query<{ lsn: string }>("select pg_current_wal_insert_lsn()::text as lsn")).rows[0]
      ?.lsn;
    for (;;) {
      const { rows } = await client.query<{ done: boolean }>(
        "select pg_current_wal_flush_lsn() >= $1::pg_lsn as done",
        [target],
      );
      if (rows[0]?.done) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    await client.end();
  }
}

describe("live events across a Postgres crash", () => {
  it("a subscriber is told only of events that survive a crash, and never of two events under one id", async () => {
    const after = await latestEventId(app.conveyor.db);
    const feed = collect((handlers) => app.clients.viewer.events.feed.subscribe({ lastEventId: after }, handlers));
    try {
      // The WAL writer flushes a first volatile commit at once; then it waits wal_writer_delay.
      await writeVolatileEvents(1, "before the crash");
      await untilWalFlushed();
      await writeVolatileEvents(19, "before the crash");
      await feed.atLeast(20);
      postgres.crash();
      postgres.start();
      // New events after recovery: the id sequence must not hand out an id the feed has seen.
      await writeVolatileEvents(5, "after the crash");
      const check = new pg.Client({ connectionString: databaseUrl });
      await check.connect();
      try {
        const rows = await check.query<{ id: string; label: string }>(
          "select e.id::text as id, e.payload->>'label' as label from events e where e.id > $1 order by e.id",
          [after],
        );
        await untilReceived(feed, rows.rows.at(-1)?.id ?? after);
        const received = feed.events.map((event) => `${event.id}:${String(event.payload.label)}`);
        expect(received).toEqual(rows.rows.map((row) => `${row.id}:${row.label}`));
        expect(rows.rows.filter((row) => row.label === "before the crash")).toHaveLength(20);
      } finally {
        await check.end();
      }
    } finally {
      feed.stop();
    }
  }, 120_000);
});
