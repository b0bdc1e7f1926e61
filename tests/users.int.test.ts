import { tmpdir } from "node:os";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { implementAuditRecord } from "../server/src/bundledTasks/auditRecord.js";
import { schema } from "../server/src/db/client.js";
import { attemptContext, type ExampleWorker, startExampleWorker } from "./fixtures/exampleWorker.js";
import { rejection } from "./fixtures/rejection.js";
import { startFileConveyor, waitForRun } from "./fixtures/testConveyor.js";

const { database, app } = await startFileConveyor("users", { worker: false });
let worker: ExampleWorker;

beforeAll(async () => {
  worker = await startExampleWorker(database.url, { storageDir: tmpdir() });
});

afterAll(async () => {
  await worker?.close();
});

const succeeded = (run: { status: string }) => run.status === "succeeded";

/** Rows that registering a user writes or causes, to show that a failed one wrote none. */
async function footprint(): Promise<string> {
  const result = await app.conveyor.db.execute<{ counts: string }>(sql`
    select concat_ws(',', (select count(*) from users), (select count(*) from runs),
      -- Jobs of finished runs are left out: graphile-worker deletes them a moment after the run settles.
      (select count(*) from graphile_worker.jobs where key like 'run:%'
        and key not in (select 'run:' || id from runs where status in ('succeeded', 'failed', 'cancelled'))),
      (select count(*) from outbox), (select count(*) from audit_log)) as counts`);
  return result.rows[0]?.counts ?? "";
}

/** Registers a user and waits until the welcome email and the audit entry are written. */
async function registerSettled(input: { username: string; email: string }) {
  const written = await app.clients.operator.users.register.mutate(input);
  await waitForRun(database.url, written.user.welcomeEmailRunId ?? "", succeeded);
  await waitForRun(database.url, written.auditRunId, succeeded);
  return written;
}

describe("users.register", () => {
  it("inserts the user and commits the welcome email and the audit entry with it", async () => {
    const { user, auditRunId } = await app.clients.operator.users.register.mutate({
      username: "ada",
      email: "ada@example.com",
    });
    expect(user).toMatchObject({ username: "ada", email: "ada@example.com" });
    expect(user.welcomeEmailRunId).toEqual(expect.any(String));

    const welcome = await waitForRun(database.url, user.welcomeEmailRunId ?? "", succeeded);
    expect(welcome).toMatchObject({ task: "email.send", input: { to: "ada@example.com" } });
    const emails = await app.conveyor.db.select().from(schema.outbox).where(eq(schema.outbox.runId, welcome.id));
    expect(emails).toEqual([expect.objectContaining({ to: "ada@example.com", subject: "Welcome to Conveyor, ada" })]);

    const audit = await waitForRun(database.url, auditRunId, succeeded);
    expect(audit.output).toEqual({ entryId: expect.any(Number), wasAlreadyRecorded: false });
    const entries = await app.conveyor.db.select().from(schema.auditLog).where(eq(schema.auditLog.runId, auditRunId));
    expect(entries).toEqual([
      expect.objectContaining({
        action: "user.registered",
        actor: "test operator",
        subjectType: "user",
        subjectId: String(user.id),
        details: { username: "ada", email: "ada@example.com" },
      }),
    ]);
  });

  it("a duplicate email, whatever its case, is BAD_REQUEST naming email, and enqueues nothing", async () => {
    await registerSettled({ username: "grace", email: "grace@example.com" });
    const before = await footprint();
    const { code, message, issues } = await rejection(
      app.clients.operator.users.register.mutate({ username: "grace2", email: "Grace@Example.com" }),
    );
    expect(code).toBe("BAD_REQUEST");
    expect(issues).toEqual([{ path: ["email"], message: "a user with this email already exists" }]);
    expect(message).toBe("email: a user with this email already exists");
    expect(await footprint()).toBe(before);
  });

  it("a duplicate username is BAD_REQUEST naming username", async () => {
    await registerSettled({ username: "linus", email: "linus@example.com" });
    const { code, issues } = await rejection(
      app.clients.operator.users.register.mutate({ username: "Linus", email: "other@example.com" }),
    );
    expect(code).toBe("BAD_REQUEST");
    expect(issues?.[0]?.path).toEqual(["username"]);
  });

  it("a transaction that fails after the insert leaves no user, no run, no job, no email and no audit entry", async () => {
    // The audit run's insert fails, after the user and the email run were written in the same
    // transaction: everything must roll back together.
    await app.conveyor.db.execute(sql`
      create function refuse_audit_runs() returns trigger language plpgsql as $$
      begin
        if new.task = 'audit.record' then raise exception 'audit store unavailable'; end if;
        return new;
      end $$;
      create trigger refuse_audit_runs before insert on runs for each row execute function refuse_audit_runs();`);
    const before = await footprint();
    try {
      const { code } = await rejection(
        app.clients.operator.users.register.mutate({ username: "margaret", email: "margaret@example.com" }),
      );
      expect(code).toBe("INTERNAL_SERVER_ERROR");
    } finally {
      await app.conveyor.db.execute(sql`
        drop trigger refuse_audit_runs on runs;
        drop function refuse_audit_runs();`);
    }
    expect(await footprint()).toBe(before);
    // The same registration goes through once the failure is gone: nothing of the first was kept.
    const { user } = await registerSettled({ username: "margaret", email: "margaret@example.com" });
    expect(user.username).toBe("margaret");
  });

  it("a viewer may list users but not register them", async () => {
    const { code } = await rejection(
      app.clients.viewer.users.register.mutate({ username: "eve", email: "eve@example.com" }),
    );
    expect(code).toBe("FORBIDDEN");
    expect((await app.clients.viewer.users.list.query({})).items.length).toBeGreaterThan(0);
  });
});

describe("users.delete", () => {
  it("deletes the user and records the audit entry in the same transaction", async () => {
    // Settled first: the registration's own runs must not finish during the next test's footprint.
    const { user } = await registerSettled({ username: "alan", email: "alan@example.com" });
    const { auditRunId } = await app.clients.operator.users.delete.mutate({ id: user.id });
    const audit = await waitForRun(database.url, auditRunId, succeeded);
    expect(audit.input).toMatchObject({ action: "user.deleted", subject: { type: "user", id: String(user.id) } });
    const rows = await app.conveyor.db.select().from(schema.users).where(eq(schema.users.id, user.id));
    expect(rows).toEqual([]);
  });

  it("a user that does not exist is NOT_FOUND, and nothing is enqueued", async () => {
    const before = await footprint();
    const { code, message } = await rejection(app.clients.operator.users.delete.mutate({ id: 999_999 }));
    expect(code).toBe("NOT_FOUND");
    expect(message).toBe("user 999999 does not exist");
    expect(await footprint()).toBe(before);
  });
});

describe("users.list", () => {
  it("is read through the cache, and a register or delete shows in the next read", async () => {
    const first = await app.client.users.list.query({});
    const { user } = await app.clients.operator.users.register.mutate({ username: "barbara", email: "b@example.com" });
    const afterRegister = await app.client.users.list.query({});
    expect(afterRegister.items[0]).toEqual(user);
    expect(afterRegister.items).toHaveLength(first.items.length + 1);
    await app.clients.operator.users.delete.mutate({ id: user.id });
    expect(await app.client.users.list.query({})).toEqual(first);
  });

  it("pages newest first", async () => {
    const page = await app.client.users.list.query({ limit: 2 });
    expect(page.items).toHaveLength(2);
    const [newer, older] = page.items;
    expect((newer?.id ?? 0) > (older?.id ?? 0)).toBe(true);
    const next = await app.client.users.list.query({ limit: 2, cursor: page.nextCursor ?? undefined });
    expect(next.items.every((item) => item.id < (older?.id ?? 0))).toBe(true);
  });
});

describe("audit.record", () => {
  it("writes one entry per run, however many attempts run it", async () => {
    const { user, auditRunId } = await app.clients.operator.users.register.mutate({
      username: "katherine",
      email: "katherine@example.com",
    });
    const run = await waitForRun(database.url, auditRunId, succeeded);
    const task = implementAuditRecord(app.conveyor.db);
    const again = await task.handle(task.definition.input.parse(run.input), attemptContext(auditRunId));
    expect(again).toEqual({ entryId: (run.output as { entryId: number }).entryId, wasAlreadyRecorded: true });
    const entries = await app.conveyor.db
      .select()
      .from(schema.auditLog)
      .where(eq(schema.auditLog.subjectId, String(user.id)));
    expect(entries).toHaveLength(1);
  });
});
