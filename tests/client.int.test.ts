import { execFile } from "node:child_process";
import { mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { LiveEvent } from "@conveyor/shared";
import { approvalDecided, approvalRequest, auditRecord, sleep, userRegistered } from "@conveyor/shared";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ConveyorClient,
  completeWaitpoint,
  createClient,
  emit,
  enqueue,
  RunCancelledError,
  RunFailedError,
  waitFor,
} from "../packages/client/src/index.js";
import { buildClientPackage, repoRoot } from "./fixtures/clientPackage.js";
import { badRequest } from "./fixtures/rejection.js";
import { startFileConveyor, startTestConveyor, waitForEvents, waitForRun } from "./fixtures/testConveyor.js";
import { flaky, refuses } from "./fixtures/testTasks.js";

const run = promisify(execFile);

const { database, app } = await startFileConveyor("client");
let client: ConveyorClient;
/** A separate project outside the repository whose node_modules is the repository's. */
let consumerDir: string;

/** The consumer: a script another team would write, importing the built package. */
const consumerScript = `
import { completeWaitpoint, createClient, emit, enqueue, RunFailedError, waitFor } from "@conveyor/client";
import { approvalDecided, reportGenerate, userRegistered } from "@conveyor/shared";

const client = createClient({ url: process.env.CONVEYOR_URL ?? "", token: process.env.CONVEYOR_TOKEN });
const { id } = await enqueue(client, reportGenerate, { userId: 7, failureRate: 0 });
try {
  const output = await waitFor(client, id, reportGenerate, {
    onProgress: ({ current, total, message }) => console.log(\`progress \${current}/\${total} \${message}\`),
  });
  const reportUrl: string = output.reportUrl; // typed from the task's output schema
  console.log(JSON.stringify({ id, output, reportUrl }));
} catch (error) {
  if (error instanceof RunFailedError) console.error(error.error.name, error.error.message, error.error.attempt);
  throw error;
}

// Never called: checked by the compiler only.
export function mistakes() {
  // @ts-expect-error userId must be a number
  void enqueue(client, reportGenerate, { userId: "seven" });
  // @ts-expect-error the output has no such field
  void waitFor(client, "id", reportGenerate).then((output) => output.nope);
  // @ts-expect-error userId must be a number
  void emit(client, userRegistered, { userId: "seven", username: "a", email: "a@b.c", actor: "t", registeredAt: "" });
  // @ts-expect-error approved must be a boolean
  void completeWaitpoint(client, "id", "decision", approvalDecided, { subject: "s", approved: "yes", by: "ops" });
}
`;

const consumerTsconfig = {
  compilerOptions: {
    target: "ES2023",
    module: "NodeNext",
    moduleResolution: "NodeNext",
    strict: true,
    skipLibCheck: true,
    types: ["node"],
    noEmit: true,
  },
  include: ["script.ts"],
};

beforeAll(async () => {
  await buildClientPackage();
  client = createClient({ url: app.conveyor.url ?? "", token: app.tokens.operator });
  consumerDir = await mkdtemp(join(tmpdir(), "conveyor-consumer-"));
  await symlink(join(repoRoot, "node_modules"), join(consumerDir, "node_modules"), "dir");
  await writeFile(join(consumerDir, "package.json"), JSON.stringify({ type: "module", private: true }));
  await writeFile(join(consumerDir, "tsconfig.json"), JSON.stringify(consumerTsconfig, null, 2));
  await writeFile(join(consumerDir, "script.ts"), consumerScript);
});

afterAll(async () => {
  if (consumerDir) await rm(consumerDir, { recursive: true, force: true });
});

describe("@conveyor/client in a separate TypeScript project", () => {
  it("enqueues report.generate, hears its progress through waitFor and prints the typed output", async () => {
    const { stdout } = await run(process.execPath, ["--import", "tsx", "script.ts"], {
      cwd: consumerDir,
      env: { ...process.env, CONVEYOR_URL: app.conveyor.url ?? "", CONVEYOR_TOKEN: app.tokens.operator },
    });
    const lines = stdout.trim().split("\n");
    const progress = lines.filter((line) => line.startsWith("progress "));
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)).toBe("progress 5/5 Step 5/5");
    const result = JSON.parse(lines.at(-1) ?? "");
    expect(result.output).toEqual({ userId: 7, reportUrl: `/reports/7/${result.id}.pdf` });
    expect(result.reportUrl).toBe(result.output.reportUrl);
    const stored = await waitForRun(database.url, result.id, (row) => row.status === "succeeded");
    expect(stored.output).toEqual(result.output);
  });

  it("type-checks against the built declarations, where a wrong input, output or payload field does not compile", async () => {
    // The @ts-expect-error lines fail the check if the types were lost (any would accept them).
    await expect(
      run(process.execPath, [join(repoRoot, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], {
        cwd: consumerDir,
      }),
    ).resolves.toMatchObject({ stdout: "" });
  }, 90_000);
});

describe("waitFor", () => {
  it("rejects with RunFailedError carrying the run's error when the run fails", async () => {
    const { id } = await enqueue(client, refuses, {});
    const failure = await waitFor(client, id, refuses).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RunFailedError);
    expect(failure).toMatchObject({
      runId: id,
      task: "test.refuses",
      error: { name: "NonRetryableError", message: "account 42 does not exist", attempt: 1, isRetryable: false },
    });
  });

  it("rejects with RunCancelledError when the run is cancelled while it runs", async () => {
    const { id } = await enqueue(client, sleep, { ms: 30_000 });
    const events: LiveEvent["type"][] = [];
    const outcome = waitFor(client, id, sleep, {
      onEvent: (event) => {
        events.push(event.type);
        if (event.type === "run.started") void client.runs.cancel.mutate({ id });
      },
    }).catch((error: unknown) => error);
    const failure = await outcome;
    expect(failure).toBeInstanceOf(RunCancelledError);
    expect(failure).toMatchObject({ runId: id, reason: "cancelled by request", run: { status: "cancelled" } });
    expect(events).toContain("run.started");
    expect(events.at(-1)).toBe("run.cancelled");
  });

  it("a failed run that is retried is waited for until its new attempt succeeds", async () => {
    const { id } = await enqueue(client, flaky, { failures: 1 }, { maxAttempts: 1 });
    await expect(waitFor(client, id, flaky)).rejects.toBeInstanceOf(RunFailedError);
    await client.runs.retry.mutate({ id });
    // The stream first replays the old run.failed; waitFor sees the run queued again and keeps watching.
    await expect(waitFor(client, id, flaky)).resolves.toEqual({ succeededOnAttempt: 2 });
  });

  it.each(["sse", "websocket"] as const)(
    "resumes after the API restarts mid-run, with every event once and in order (%s)",
    async (transport) => {
      // The client talks to an API process of its own, restarted on the same port; the run goes on
      // meanwhile in the main test server's worker.
      let api = await startTestConveyor(database.url, { worker: false });
      const url = api.conveyor.url ?? "";
      try {
        const apiClient = createClient({ url, token: app.tokens.operator, transport });
        const { id } = await enqueue(apiClient, sleep, { ms: 1_500 });
        const seen: number[] = [];
        let restarted: Promise<void> | undefined;
        const output = await waitFor(apiClient, id, sleep, {
          onEvent: (event) => {
            seen.push(event.id);
            if (event.type === "run.started" && !restarted) {
              restarted = (async () => {
                await api.close();
                api = await startTestConveyor(database.url, { worker: false, env: { PORT: new URL(url).port } });
              })();
            }
          },
        });
        await restarted;
        expect(restarted).toBeDefined();
        expect(output).toEqual({ ms: 1_500 });
        const stored = await app.conveyor.db.execute<{ id: string }>(
          sql`select id from events where run_id = ${id} order by id`,
        );
        expect(seen).toEqual(stored.rows.map((row) => Number(row.id)));
      } finally {
        await api.close();
      }
    },
  );
});

describe("emit and completeWaitpoint", () => {
  const registration = {
    userId: 77,
    username: "ada",
    email: "ada@example.com",
    actor: "client-test",
    registeredAt: "2026-01-02T03:04:05.000Z",
  };

  it("emit starts a run of each task subscribed to user.registered, once per idempotency key", async () => {
    const emitted = await emit(client, userRegistered, registration, { idempotencyKey: "ada" });
    expect(emitted).toMatchObject({ name: "user.registered", resumedRunIds: [], isDuplicate: false });
    expect(emitted.runs.map((run) => run.task).sort()).toEqual(["audit.record", "email.send"]);
    const again = await emit(client, userRegistered, registration, { idempotencyKey: "ada" });
    expect(again).toMatchObject({ id: emitted.id, runs: emitted.runs, isDuplicate: true });

    const email = emitted.runs.find((run) => run.task === "email.send")?.id ?? "";
    expect((await client.runs.get.query({ id: email })).input).toMatchObject({ to: "ada@example.com" });
    const audit = emitted.runs.find((run) => run.task === "audit.record")?.id ?? "";
    await expect(waitFor(client, audit, auditRecord)).resolves.toMatchObject({ wasAlreadyRecorded: false });
  });

  it("emit is refused with the payload's field named when the server's schema check fails", async () => {
    const refused = await badRequest(emit(client, userRegistered, { ...registration, email: "not-an-email" }));
    expect(refused.issues).toEqual([expect.objectContaining({ path: ["payload", "email"] })]);
  });

  it("completeWaitpoint resumes an approval.request run waiting at its decision step", async () => {
    const { id } = await enqueue(client, approvalRequest, { subject: "cli-x" });
    // Waiting, with the "decision" wait on record: only then can the waitpoint be completed.
    const decision = await waitForEvents(
      database.url,
      async () => {
        if ((await client.runs.get.query({ id })).status !== "waiting") return undefined;
        return (await client.runs.steps.query({ id })).find((step) => step.name === "decision");
      },
      () => `run ${id} never waited at its decision step`,
    );
    expect(decision).toMatchObject({ kind: "wait", status: "waiting", eventName: approvalDecided.name });

    const output = { subject: "cli-x", approved: true, by: "ops" };
    expect(await completeWaitpoint(client, id, "decision", approvalDecided, output)).toEqual({
      runId: id,
      waitpoint: "decision",
      resumed: true,
    });
    await expect(waitFor(client, id, approvalRequest)).resolves.toEqual({
      subject: "cli-x",
      approved: true,
      decidedBy: "ops",
      requestedOnAttempt: 1,
    });
    expect(await completeWaitpoint(client, id, "decision", approvalDecided, output)).toMatchObject({ resumed: false });
  });
});
