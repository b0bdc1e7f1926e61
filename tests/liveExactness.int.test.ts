import { setTimeout as sleepFor } from "node:timers/promises";
import { eventsChannel } from "@conveyor/shared";
import fc from "fast-check";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { collect, untilReceived } from "./fixtures/eventCollector.js";
import {
  type ApiClient,
  createApiClient,
  latestEventId,
  startFileConveyor,
  startTestConveyor,
} from "./fixtures/testConveyor.js";

// Two API processes' worth of hubs over one database, and writers on connections of their own:
// what several Conveyor processes committing events at once look like to a subscriber.
const { database, app } = await startFileConveyor("live_exactness", { worker: false });
const second = await startTestConveyor(database.url, { worker: false });
afterAll(() => second.close());
// The same subscribers over the other transport: one WebSocket per process carrying them all.
const socketClient = (url: string | null, token: string) =>
  createApiClient(url ?? "", token, { transport: "websocket" });
const sockets = [
  socketClient(app.conveyor.url, app.tokens.viewer),
  socketClient(second.conveyor.url, second.tokens.viewer),
];

const writerCount = 6;
const writers = await Promise.all(
  Array.from({ length: writerCount }, async () => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    return client;
  }),
);
afterAll(() => Promise.all(writers.map((client) => client.end())));

/** One transaction: batches of inserted events with pauses between, then a wait, then commit or rollback. */
const transactionArbitrary = fc.record({
  batches: fc.array(fc.record({ count: fc.integer({ min: 1, max: 3 }), pauseMs: fc.integer({ min: 0, max: 15 }) }), {
    minLength: 1,
    maxLength: 3,
  }),
  // Mostly short, sometimes long enough that many later ids commit while it is open.
  holdMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 20 }), fc.constant(400)),
  isRolledBack: fc.boolean().map((coin) => coin && Math.random() < 0.4),
});
const scenarioArbitrary = fc.array(fc.array(transactionArbitrary, { minLength: 3, maxLength: 12 }), {
  minLength: writerCount,
  maxLength: writerCount,
});
type Transaction = typeof transactionArbitrary extends fc.Arbitrary<infer T> ? T : never;

async function runWriter(client: pg.Client, writer: number, transactions: readonly Transaction[]): Promise<void> {
  for (const [index, transaction] of transactions.entries()) {
    await client.query("begin");
    for (const batch of transaction.batches) {
      // Ids are drawn here, at insert, and become visible only at commit.
      await client.query(
        `with added as (
           insert into events (type, payload)
           select 'run.log', jsonb_build_object('writer', $1::int, 'transaction', $2::int, 'n', n)
           from generate_series(1, $3::int) n
           returning id)
         select pg_notify($4, max(id)::text) from added`,
        [writer, index, batch.count, eventsChannel],
      );
      if (batch.pauseMs > 0) await sleepFor(batch.pauseMs);
    }
    if (transaction.holdMs > 0) await sleepFor(transaction.holdMs);
    await client.query(transaction.isRolledBack ? "rollback" : "commit");
  }
}

async function committedIdsAfter(after: string): Promise<string[]> {
  const rows = await app.conveyor.pool.query<{ id: string }>(
    "select id::text as id from events e where e.id > $1 order by e.id",
    [after],
  );
  return rows.rows.map((row) => row.id);
}

const feed = (client: ApiClient, lastEventId: string) =>
  collect((handlers) => client.events.feed.subscribe({ lastEventId }, handlers));

describe("the live feed under many concurrent writers", () => {
  it("gives every subscriber, over server-sent events or a WebSocket, exactly the committed events, once each, in id order", async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArbitrary, async (scenario) => {
        const start = await latestEventId(app.conveyor.db);
        const [firstSocket, secondSocket] = sockets as [ApiClient, ApiClient];
        const early = [feed(app.clients.viewer, start), feed(secondSocket, start)];
        const writing = Promise.all(
          scenario.map((transactions, writer) => runWriter(writers[writer] as pg.Client, writer, transactions)),
        );
        // Joins while the writers are busy: its backlog and the live stream must meet exactly.
        await sleepFor(60);
        const late = [feed(firstSocket, start), feed(second.clients.viewer, start)];
        await writing;
        const committed = await committedIdsAfter(start);
        const streams = [...early, ...late];
        try {
          for (const stream of streams) {
            await untilReceived(stream, committed.at(-1) ?? start, 20_000);
            expect(stream.ids).toEqual(committed);
          }
        } finally {
          for (const stream of streams) stream.stop();
        }
      }),
      { numRuns: 6, endOnFailure: true },
    );
  }, 180_000);
});
