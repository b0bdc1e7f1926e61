import pg from "pg";
import { describe, expect, inject, it } from "vitest";
import { startConveyor } from "../server/src/app.js";
import { loadConfig } from "../server/src/config/env.js";
import { startFileConveyor } from "./fixtures/testConveyor.js";
import { createTestDatabase } from "./fixtures/testDatabase.js";

// In the pooler project: DATABASE_URL through PgBouncer in transaction mode (tests/fixtures/poolerSetup.ts).
const pooledServerUrl = inject("pooledServerUrl");
const { database, app } = await startFileConveyor("pooler");
const databaseName = new URL(database.url).pathname.slice(1);

/** The pooler's client connections to `database`, from its admin console. */
async function poolerClients(): Promise<number> {
  const console = new pg.Client({ connectionString: `${pooledServerUrl}/pgbouncer` });
  await console.connect();
  try {
    // Without parameters node-postgres sends the simple query protocol, the only one the console speaks.
    const result = await console.query<{ database: string }>("show clients");
    return result.rows.filter((row) => row.database === databaseName).length;
  } finally {
    await console.end();
  }
}

describe("behind PgBouncer in transaction mode", () => {
  it("serves its statements through the pooler and its sessions directly", async () => {
    await app.client.runs.enqueue.mutate({ task: "conveyor.noop", input: {} });
    expect(await poolerClients()).toBeGreaterThan(0);
    const listeners = await app.conveyor.pool.query<{ n: number }>(
      `select count(*)::int as n from pg_stat_activity
       where datname = current_database() and query ilike 'listen %' and state = 'idle'`,
    );
    // The event hub, the worker's control listener and graphile-worker's runner each hold a LISTEN session.
    expect(listeners.rows[0]?.n).toBeGreaterThanOrEqual(3);
  });

  it("refuses to start with DATABASE_URL on the pooler and no DIRECT_DATABASE_URL, saying what to set", async () => {
    const other = await createTestDatabase("pooler_alone");
    try {
      const config = loadConfig({
        DATABASE_URL: `${pooledServerUrl}${new URL(other.url).pathname}`,
        LOG_LEVEL: "silent",
      });
      await expect(startConveyor({ config, api: true, worker: true })).rejects.toThrow(
        /DATABASE_URL \(.+\) keeps no session: a LISTEN on it heard nothing .* Set DIRECT_DATABASE_URL/,
      );
    } finally {
      await other.drop();
    }
  }, 20_000);

  it("refuses a DIRECT_DATABASE_URL through the pooler, naming it", async () => {
    const pooled = `${pooledServerUrl}/${databaseName}`;
    const config = loadConfig({ DATABASE_URL: pooled, DIRECT_DATABASE_URL: pooled, LOG_LEVEL: "silent" });
    await expect(startConveyor({ config, api: true, worker: false })).rejects.toThrow(
      /DATABASE_URL .* keeps no session/,
    );
    const elsewhere = loadConfig({
      DATABASE_URL: pooled,
      // Another database: what DATABASE_URL sends is never heard there.
      DIRECT_DATABASE_URL: database.url.replace(/\/[^/]+$/, "/postgres"),
      LOG_LEVEL: "silent",
    });
    await expect(startConveyor({ config: elsewhere, api: true, worker: false })).rejects.toThrow(
      /DIRECT_DATABASE_URL \(.+\/postgres\) must keep a session and reach the database DATABASE_URL/,
    );
  }, 20_000);
});
