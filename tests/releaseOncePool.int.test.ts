import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { releaseOncePool } from "../server/src/worker/releaseOncePool.js";
import { createTestDatabase } from "./fixtures/testDatabase.js";

const database = await createTestDatabase("release_once");
const pool = new pg.Pool({ connectionString: database.url, max: 2 });

afterAll(async () => {
  await pool.end();
  await database.drop();
});

const checkOut = (target: pg.Pool) =>
  new Promise<{ client: pg.PoolClient; done: (release?: unknown) => void }>((resolve, reject) => {
    target.connect((error, client, done) => {
      if (error || !client) reject(error ?? new Error("no client"));
      else resolve({ client, done });
    });
  });

describe("releaseOncePool", () => {
  it("the bare pool throws on a second release (what ends a worker whose LISTEN connection is cut)", async () => {
    const { done } = await checkOut(pool);
    done();
    expect(() => done()).toThrow(/already been released/);
  });

  it("takes a second release of a callback client without throwing, and the pool keeps working", async () => {
    const shielded = releaseOncePool(pool);
    const { client, done } = await checkOut(shielded);
    done(new Error("connection cut"));
    expect(() => done()).not.toThrow();
    expect(client).toBeDefined();
    // The errored client was destroyed, not handed out again; the pool still serves queries.
    const { rows } = await shielded.query<{ one: number }>("select 1 as one");
    expect(rows).toEqual([{ one: 1 }]);
    expect(pool.totalCount).toBeLessThanOrEqual(2);
    expect(pool.waitingCount).toBe(0);
  });

  it("passes everything else through to the pool", async () => {
    const shielded = releaseOncePool(pool);
    const client = await shielded.connect();
    try {
      expect((await client.query<{ two: number }>("select 2 as two")).rows[0]?.two).toBe(2);
    } finally {
      client.release();
    }
    expect(shielded.totalCount).toBe(pool.totalCount);
  });
});
