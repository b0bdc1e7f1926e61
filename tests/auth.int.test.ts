import { hasRole, type Role, roles } from "@conveyor/shared";
import { TRPCError } from "@trpc/server";
import { sql } from "drizzle-orm";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createToken } from "../server/src/auth/tokens.js";
import { createCaller } from "../server/src/router.js";
import { callOverHttp, listProcedures } from "./fixtures/procedures.js";
import { startFileConveyor } from "./fixtures/testConveyor.js";

const { app } = await startFileConveyor("auth");
let revokedToken: string;

beforeAll(async () => {
  const revoked = await createToken(app.conveyor.db, { name: "revoked", role: "admin" });
  await app.client.tokens.revoke.mutate({ id: revoked.info.id });
  revokedToken = revoked.token;
});

const procedures = listProcedures();

describe("every procedure enforces the role it declares", () => {
  it("every procedure declares who may call it", () => {
    expect(procedures.length).toBeGreaterThan(5);
    for (const procedure of procedures) expect(procedure.access, procedure.path).toBeDefined();
  });

  type Caller = "no token" | "revoked token" | Role;
  const callers: Caller[] = ["no token", "revoked token", ...roles];

  function expectedStatus(access: Role | "public", caller: Caller): "allowed" | 401 | 403 {
    if (access === "public") return "allowed";
    if (caller === "no token" || caller === "revoked token") return 401;
    return hasRole(caller, access) ? "allowed" : 403;
  }

  it.each(procedures.map((procedure) => [procedure.path, procedure] as const))("%s", async (_path, procedure) => {
    const url = app.conveyor.url ?? "";
    for (const caller of callers) {
      const token = caller === "no token" ? null : caller === "revoked token" ? revokedToken : app.tokens[caller];
      const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
      // Subscriptions get an input they refuse, so an allowed caller's answer comes at once.
      const input = procedure.type === "subscription" ? { unexpected: true } : {};
      const { status, code } = await callOverHttp(url, procedure, input, headers);
      const expected = expectedStatus(procedure.access ?? "admin", caller);
      if (expected === "allowed") {
        expect([401, 403], `${procedure.path} as ${caller}`).not.toContain(status);
        expect(code, `${procedure.path} as ${caller}`).not.toBe("INTERNAL_SERVER_ERROR");
      } else {
        expect(status, `${procedure.path} as ${caller}`).toBe(expected);
        expect(code).toBe(expected === 401 ? "UNAUTHORIZED" : "FORBIDDEN");
      }
    }
  });

  it("a malformed Authorization header is UNAUTHORIZED, not an error", async () => {
    const response = await fetch(`${app.conveyor.url}/trpc/runs.list`, { headers: { authorization: "Basic abc" } });
    expect(response.status).toBe(401);
  });
});

describe("tokens", () => {
  it("are stored hashed: the plaintext appears nowhere in the database", async () => {
    const { token } = await app.client.tokens.create.mutate({ name: "ci", role: "viewer" });
    const rows = await app.conveyor.db.execute<{ row: string }>(sql`select t::text as row from tokens t`);
    for (const { row } of rows.rows) expect(row).not.toContain(token);
    const listed = await app.client.tokens.list.query();
    expect(listed.find((info) => info.name === "ci")).toMatchObject({ role: "viewer", prefix: token.slice(0, 8) });
    expect(JSON.stringify(listed)).not.toContain(token);
  });

  it("a revoked token stops working at once", async () => {
    const { token, info } = await app.client.tokens.create.mutate({ name: "short-lived", role: "operator" });
    const headers = { authorization: `Bearer ${token}` };
    const list = procedures.find((procedure) => procedure.path === "runs.list");
    if (!list) throw new Error("runs.list is missing");
    expect((await callOverHttp(app.conveyor.url ?? "", list, {}, headers)).status).toBe(200);
    await app.client.tokens.revoke.mutate({ id: info.id });
    expect((await callOverHttp(app.conveyor.url ?? "", list, {}, headers)).status).toBe(401);
  });

  it("auth.session tells who is calling, and null without a token", async () => {
    expect(await app.clients.operator.auth.session.query()).toEqual({ name: "test operator", role: "operator" });
    const anonymous = await fetch(`${app.conveyor.url}/trpc/auth.session`);
    expect(((await anonymous.json()) as { result: { data: { json: unknown } } }).result.data.json).toBeNull();
  });

  it("a browser signs in with a token for an HttpOnly session cookie, and signs out", async () => {
    const bad = await fetch(`${app.conveyor.url}/auth/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: "cvy_not-a-token" }),
    });
    expect(bad.status).toBe(401);
    const signIn = await fetch(`${app.conveyor.url}/auth/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: app.tokens.viewer }),
    });
    expect(signIn.status).toBe(200);
    const cookie = signIn.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/conveyor_session=/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    const session = cookie.split(";")[0] ?? "";
    const asViewer = await fetch(`${app.conveyor.url}/trpc/auth.session`, { headers: { cookie: session } });
    expect(await asViewer.json()).toMatchObject({ result: { data: { json: { role: "viewer" } } } });
    const signOut = await fetch(`${app.conveyor.url}/auth/session`, { method: "DELETE", headers: { cookie: session } });
    expect(signOut.status).toBe(204);
    expect(signOut.headers.get("set-cookie")).toMatch(/conveyor_session=;/);
  });

  it("the one-time login link sets the session and redirects home; a bad one goes to the login page", async () => {
    const good = await fetch(`${app.conveyor.url}/login?token=${app.tokens.admin}`, { redirect: "manual" });
    expect(good.status).toBe(302);
    expect(good.headers.get("location")).toBe("/");
    expect(good.headers.get("set-cookie")).toMatch(/conveyor_session=cvy_/);
    const bad = await fetch(`${app.conveyor.url}/login?token=nope`, { redirect: "manual" });
    expect(bad.headers.get("location")).toBe("/#/login?error=invalid-token");
    // A repeated parameter arrives as a list: still just an invalid link, never a server error.
    const twice = await fetch(`${app.conveyor.url}/login?token=a&token=b`, { redirect: "manual" });
    expect(twice.status).toBe(302);
    expect(twice.headers.get("location")).toBe("/#/login?error=invalid-token");
    expect(bad.headers.get("set-cookie")).toBeNull();
  });
});

describe("limits", () => {
  it("a request body over the limit is refused with 413 naming it, and nothing is written", async () => {
    const before = await app.client.runs.list.query({});
    const response = await fetch(`${app.conveyor.url}/trpc/runs.enqueue`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${app.tokens.admin}` },
      body: JSON.stringify({ json: { task: "conveyor.noop", input: { blob: "x".repeat(9 * 1024 * 1024) } } }),
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ error: expect.stringContaining("requestBodyBytes") });
    expect((await app.client.runs.list.query({})).items).toEqual(before.items);
  });
});

describe("fuzzing every procedure's input", () => {
  async function tableCounts(): Promise<string> {
    const result = await app.conveyor.db.execute<{ counts: string }>(sql`
      select concat_ws(',', (select count(*) from runs), (select count(*) from events), (select count(*) from tokens),
        (select count(*) from outbox), (select count(*) from schedules), (select count(*) from flows),
        -- Only run jobs: the minute tick adds cron jobs of its own while the test runs.
        (select count(*) from graphile_worker.jobs where key like 'run:%')) as counts`);
    return result.rows[0]?.counts ?? "";
  }

  const adminCaller = () =>
    createCaller({
      ...app.conveyor.services,
      principal: { tokenId: "fuzz", name: "fuzz", role: "admin" },
      connection: null,
    });

  async function call(path: string, input: unknown): Promise<unknown> {
    const caller = adminCaller() as unknown as Record<string, Record<string, (input: unknown) => Promise<unknown>>>;
    const [group, name] = path.split(".");
    const procedure = group && name ? caller[group]?.[name] : undefined;
    if (!procedure) throw new Error(`no procedure ${path}`);
    return procedure(input);
  }

  /** Values that are wrong in every way: wrong types, missing and extra keys, near-misses of the shape. */
  function invalidInputs(schema: z.ZodType) {
    const jsonSchema = z.toJSONSchema(schema, { unrepresentable: "any" }) as { properties?: Record<string, unknown> };
    const keys = Object.keys(jsonSchema.properties ?? {});
    const shaped =
      keys.length > 0
        ? fc.record(Object.fromEntries(keys.map((key) => [key, fc.anything()])), { requiredKeys: [] })
        : fc.constant({ unexpected: true });
    return fc
      .oneof(fc.anything(), shaped, fc.dictionary(fc.string(), fc.jsonValue()))
      .filter((value) => !schema.safeParse(value).success);
  }

  const withInput = procedures.filter((procedure) => procedure.input && procedure.type !== "subscription");

  it.each(withInput.map((procedure) => [procedure.path, procedure] as const))(
    "%s answers BAD_REQUEST to invalid input and writes nothing",
    async (path, procedure) => {
      const schema = procedure.input;
      if (!schema) return;
      const before = await tableCounts();
      await fc.assert(
        fc.asyncProperty(invalidInputs(schema), async (input) => {
          const error = await call(path, input).then(
            () => null,
            (caught: unknown) => caught,
          );
          expect(error).toBeInstanceOf(TRPCError);
          expect((error as TRPCError).code).toBe("BAD_REQUEST");
        }),
        { numRuns: 60 },
      );
      expect(await tableCounts()).toBe(before);
    },
  );

  it("runs.enqueue refuses any input its task's schema rejects, writing nothing", async () => {
    const tasks = app.conveyor.services.catalog.all();
    const before = await tableCounts();
    await fc.assert(
      fc.asyncProperty(
        fc
          .record({ task: fc.constantFrom(...tasks.map((task) => task.name)), input: fc.anything() })
          .filter(({ task, input }) => !app.conveyor.services.catalog.get(task)?.input.safeParse(input).success),
        async (item) => {
          const error = await call("runs.enqueue", item).then(
            () => null,
            (caught: unknown) => caught,
          );
          expect((error as TRPCError | null)?.code).toBe("BAD_REQUEST");
        },
      ),
      { numRuns: 200 },
    );
    expect(await tableCounts()).toBe(before);
  });
});
