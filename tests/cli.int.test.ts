import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { type AddressInfo, createServer } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { buildClientPackage, repoRoot } from "./fixtures/clientPackage.js";
import { latestEventId, startFileConveyor, waitForEvents, waitForRun } from "./fixtures/testConveyor.js";

const cliPath = "packages/client/dist/cli.js";
const run = promisify(execFile);

const { database, app } = await startFileConveyor("cli");

beforeAll(buildClientPackage);

interface Started {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves once stdout (or stderr) matches. */
  printed(pattern: RegExp, stream?: "stdout" | "stderr"): Promise<void>;
  exited: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** Starts `conveyor <args>` as its own process, with the test server's URL and a token in its environment. */
function start(args: string[], env: Record<string, string | undefined> = {}): Started {
  const child = spawn(process.execPath, [cliPath, ...args], {
    cwd: repoRoot,
    env: {
      ...process.env,
      CONVEYOR_URL: app.conveyor.url ?? "",
      CONVEYOR_TOKEN: app.tokens.operator,
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output = { stdout: "", stderr: "" };
  const watchers: { pattern: RegExp; stream: "stdout" | "stderr"; resolve: () => void }[] = [];
  const check = () => {
    for (const watcher of [...watchers]) {
      if (watcher.pattern.test(output[watcher.stream])) {
        watchers.splice(watchers.indexOf(watcher), 1);
        watcher.resolve();
      }
    }
  };
  child.stdout?.on("data", (chunk: Buffer) => {
    output.stdout += chunk.toString();
    check();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output.stderr += chunk.toString();
    check();
  });
  const exited = once(child, "close").then(([code]) => ({ code: code as number | null, ...output }));
  return {
    child,
    stdout: () => output.stdout,
    stderr: () => output.stderr,
    printed: (pattern, stream = "stdout") =>
      new Promise<void>((resolve, reject) => {
        watchers.push({ pattern, stream, resolve });
        check();
        void exited.then(({ stdout, stderr }) =>
          reject(new Error(`exited before printing ${pattern}; stdout: ${stdout} stderr: ${stderr}`)),
        );
      }),
    exited,
  };
}

const conveyor = (args: string[], env?: Record<string, string | undefined>) => start(args, env).exited;

describe("right after npm install", () => {
  it("`npx conveyor` and `npm run conveyor` run the CLI from the sources, no build needed", async () => {
    // The launcher both go through (the package's bin) prefers the sources whenever they are
    // there, so neither depends on packages/client/dist having been built.
    const env = { ...process.env, CONVEYOR_URL: app.conveyor.url ?? "", CONVEYOR_TOKEN: app.tokens.operator };
    for (const [command, args] of [
      ["npx", ["conveyor", "run", "test.add", "--input", '{"value":41}']],
      ["npm", ["run", "-s", "conveyor", "--", "run", "test.add", "--input", '{"value":41}']],
    ] as const) {
      const { stdout } = await run(command, [...args], { cwd: repoRoot, env });
      const id = stdout.trim();
      expect(id, `${command} printed ${stdout}`).toMatch(/^[0-9a-f-]{36}$/);
      expect((await waitForRun(database.url, id, (row) => row.status === "succeeded")).output).toEqual({ value: 42 });
    }
  });

  it("the launcher needs no dist/: a copy of the package with only bin/ and src/ runs", async () => {
    const copy = await mkdtemp(join(repoRoot, ".cli-without-dist-"));
    try {
      await cp(join(repoRoot, "packages/client/bin"), join(copy, "bin"), { recursive: true });
      await cp(join(repoRoot, "packages/client/src"), join(copy, "src"), { recursive: true });
      const env = { ...process.env, CONVEYOR_URL: app.conveyor.url ?? "", CONVEYOR_TOKEN: app.tokens.operator };
      const { stdout } = await run(
        process.execPath,
        [join(copy, "bin/conveyor.js"), "run", "test.add", "--input", '{"value":1}'],
        { cwd: repoRoot, env },
      );
      const done = await waitForRun(database.url, stdout.trim(), (row) => row.status === "succeeded");
      expect(done.output).toEqual({ value: 2 });
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  });
});

describe("conveyor run", () => {
  it("run --watch follows report.generate to the end, exits 0 and prints its output", async () => {
    const result = await conveyor(["run", "report.generate", "--input", '{"userId":1,"failureRate":0}', "--watch"]);
    expect(result.stderr).toMatch(/^enqueued report\.generate run [0-9a-f-]{36}$/m);
    // Not a terminal: one line per event instead of a redrawn bar.
    expect(result.stderr).toContain("progress: 5/5 Step 5/5");
    expect(result.stderr).toContain("succeeded");
    const runId = /run ([0-9a-f-]{36})/.exec(result.stderr)?.[1];
    expect(JSON.parse(result.stdout)).toEqual({ userId: 1, reportUrl: `/reports/1/${runId}.pdf` });
    expect(result.code).toBe(0);
  });

  it("without --watch prints the new run's id and exits at once", async () => {
    const result = await conveyor(["run", "test.add", "--input", '{"value":1}']);
    expect(result.code).toBe(0);
    const id = result.stdout.trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const run = await waitForRun(database.url, id, (row) => row.status === "succeeded");
    expect(run.output).toEqual({ value: 2 });
  });

  it("a run that fails exits 1 naming the error and the attempt", async () => {
    const result = await conveyor(["run", "test.refuses", "--watch"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /conveyor: run [0-9a-f-]{36} \(test\.refuses\) failed on attempt 1: NonRetryableError: account 42 does not exist/,
    );
    expect(result.stdout).toBe("");
  });

  it("a watched run that is cancelled exits 1", async () => {
    const watching = start(["run", "conveyor.sleep", "--input", '{"ms":30000}', "--watch"]);
    await watching.printed(/^running/m, "stderr");
    const id = /run ([0-9a-f-]{36})/.exec(watching.stderr())?.[1] ?? "";
    await app.client.runs.cancel.mutate({ id });
    const result = await watching.exited;
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`conveyor: run ${id} (conveyor.sleep) was cancelled: cancelled by request`);
  });

  it("bad JSON, an unknown task and invalid input exit 2 with one line naming the problem", async () => {
    const badJson = await conveyor(["run", "report.generate", "--input", "{userId:1}"]);
    expect(badJson.code).toBe(2);
    expect(badJson.stderr).toMatch(/^conveyor: --input is not valid JSON: .+\n$/);

    const unknownTask = await conveyor(["run", "report.nope", "--input", "{}"]);
    expect(unknownTask.code).toBe(2);
    expect(unknownTask.stderr).toMatch(
      /^conveyor: task: unknown task "report\.nope" \(known: .*report\.generate.*\)\n$/,
    );

    const invalidInput = await conveyor(["run", "report.generate", "--input", '{"userId":"one"}']);
    expect(invalidInput.code).toBe(2);
    expect(invalidInput.stderr).toMatch(/^conveyor: input\.userId: .*expected number.*\n$/);
  });

  it("without a token exits 2 and says how to get one; a bad token and too small a role too", async () => {
    const noToken = await conveyor(["ls"], { CONVEYOR_TOKEN: undefined });
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toContain("no token: pass --token or set CONVEYOR_TOKEN");
    expect(noToken.stderr).toContain("npm run token -- --role operator");

    const badToken = await conveyor(["ls", "--token", "cvy_not-a-real-token"]);
    expect(badToken.code).toBe(2);
    expect(badToken.stderr).toContain("npm run token -- --role operator");

    const viewer = await conveyor(["run", "test.add", "--input", '{"value":1}'], { CONVEYOR_TOKEN: app.tokens.viewer });
    expect(viewer.code).toBe(2);
    expect(viewer.stderr).toContain("this needs the operator role");
  });

  it("a usage mistake exits 2, and an unreachable server 3", async () => {
    expect((await conveyor(["run"])).code).toBe(2);
    expect((await conveyor(["frobnicate"])).code).toBe(2);
    expect((await conveyor(["ls", "--limit", "many"])).code).toBe(2);
    // A port that was just free: nothing listens there.
    const probe = createServer().listen(0, "127.0.0.1");
    await once(probe, "listening");
    const { port } = probe.address() as AddressInfo;
    probe.close();
    await once(probe, "close");
    const unreachable = await conveyor(["ls"], { CONVEYOR_URL: `http://127.0.0.1:${port}` });
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toBe(
      `conveyor: cannot reach Conveyor at http://127.0.0.1:${port}: ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:${port}\n`,
    );
  });
});

describe("conveyor ls, get, cancel, retry, watch", () => {
  it("ls prints a table with the runs' ids, filtered by task and status", async () => {
    const first = (await conveyor(["run", "test.add", "--input", '{"value":10}'])).stdout.trim();
    const second = (await conveyor(["run", "test.add", "--input", '{"value":20}'])).stdout.trim();
    await waitForRun(database.url, second, (run) => run.status === "succeeded");
    await waitForRun(database.url, first, (run) => run.status === "succeeded");

    const all = await conveyor(["ls", "--task", "test.add", "--limit", "200"]);
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(/│ id\s+│ task\s+│ status\s+│ attempts\s+│ progress\s+│ created\s+│/);
    expect(all.stdout).toContain(first);
    expect(all.stdout).toContain(second);
    // Newest first.
    expect(all.stdout.indexOf(second)).toBeLessThan(all.stdout.indexOf(first));

    const failedOnly = await conveyor(["ls", "--status", "failed", "--task", "test.add"]);
    expect(failedOnly.code).toBe(0);
    expect(failedOnly.stdout).not.toContain(first);

    const badStatus = await conveyor(["ls", "--status", "sleeping"]);
    expect(badStatus.code).toBe(2);
    expect(badStatus.stderr).toMatch(/^conveyor: status: .*"succeeded".*\n$/);
  });

  it("get prints the run as JSON; an unknown id exits 2", async () => {
    const { id } = await app.client.runs.enqueue.mutate({ task: "test.add", input: { value: 4 } });
    await waitForRun(database.url, id, (run) => run.status === "succeeded");
    const result = await conveyor(["get", id]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      id,
      task: "test.add",
      status: "succeeded",
      output: { value: 5 },
    });

    const unknown = await conveyor(["get", "01900000-0000-7000-8000-000000000000"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe("conveyor: run 01900000-0000-7000-8000-000000000000 does not exist\n");
  });

  it("cancel cancels a scheduled run, and retry --watch gives a failed run the attempt that succeeds", async () => {
    const later = await app.client.runs.enqueue.mutate({
      task: "test.add",
      input: { value: 1 },
      options: { delayMs: 3_600_000 },
    });
    const cancelled = await conveyor(["cancel", later.id]);
    expect(cancelled).toMatchObject({ code: 0, stdout: `run ${later.id} cancelled\n` });
    expect((await app.client.runs.get.query({ id: later.id })).status).toBe("cancelled");

    const flaky = await app.client.runs.enqueue.mutate({
      task: "test.flaky",
      input: { failures: 1 },
      options: { maxAttempts: 1 },
    });
    await waitForRun(database.url, flaky.id, (run) => run.status === "failed");
    const retried = await conveyor(["retry", flaky.id, "--watch"]);
    expect(retried.code).toBe(0);
    expect(retried.stdout).toBe(`run ${flaky.id} queued\n${JSON.stringify({ succeededOnAttempt: 2 }, null, 2)}\n`);

    const refused = await conveyor(["retry", flaky.id]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("only failed or cancelled runs can be retried");
  });

  it("watch follows a running run to its output", async () => {
    const { id } = await app.client.runs.enqueue.mutate({ task: "conveyor.sleep", input: { ms: 200 } });
    const result = await conveyor(["watch", id]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ ms: 200 });
    expect(result.stderr).toMatch(/^succeeded/m);
  });
});

describe("conveyor tail", () => {
  it("prints each live event of the chosen task on one line, and stops cleanly on Ctrl-C", async () => {
    const tail = start(["tail", "--task", "test.add", "--after", await latestEventId(app.conveyor.db)]);
    const other = await app.client.runs.enqueue.mutate({ task: "conveyor.noop", input: {} });
    const { id } = await app.client.runs.enqueue.mutate({ task: "test.add", input: { value: 1 } });
    await tail.printed(new RegExp(`run\\.succeeded\\s+test\\.add\\s+${id}`));
    tail.child.kill("SIGINT");
    const result = await tail.exited;
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split("\n");
    expect(lines.map((line) => line.split(/\s+/)[2])).toEqual(["run.queued", "run.started", "run.succeeded"]);
    expect(result.stdout).not.toContain(other.id);
  });
});

describe("conveyor events, runs steps/complete, pause, resume, pauses", () => {
  const registration = {
    userId: 5,
    username: "lin",
    email: "lin@example.com",
    actor: "cli-test",
    registeredAt: "2026-01-02T03:04:05.000Z",
  };

  it("events list names each event's payload fields and subscribers; events emit starts its runs once per key", async () => {
    const list = await conveyor(["events", "list"]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(
      /│ user\.registered\s+│ userId, username, email, actor, registeredAt\s+│ audit\.record, email\.send\s+│/,
    );
    expect(list.stdout).toMatch(/│ approval\.decided\s+│ subject, approved, by, note\?/);

    const args = ["events", "emit", "user.registered", "--payload", JSON.stringify(registration), "--key", "lin"];
    const emitted = await conveyor(args);
    expect(emitted.code).toBe(0);
    const event = JSON.parse(emitted.stdout);
    expect(event).toMatchObject({ name: "user.registered", resumedRunIds: [], isDuplicate: false });
    expect(event.runs.map((run: { task: string }) => run.task).sort()).toEqual(["audit.record", "email.send"]);
    const audit = event.runs.find((run: { task: string }) => run.task === "audit.record").id;
    expect((await waitForRun(database.url, audit, (run) => run.status === "succeeded")).input).toMatchObject({
      actor: "cli-test",
      subject: { type: "user", id: "5" },
    });

    const again = await conveyor(args);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ id: event.id, runs: event.runs, isDuplicate: true });
  });

  it("a bad payload, an unknown event or a bad pause kind exits 2 naming the field", async () => {
    const badPayload = await conveyor([
      "events",
      "emit",
      "user.registered",
      "--payload",
      JSON.stringify({ ...registration, email: "not-an-email" }),
    ]);
    expect(badPayload.code).toBe(2);
    expect(badPayload.stderr).toMatch(/^conveyor: payload\.email: .+\n$/);
    expect(badPayload.stdout).toBe("");

    const unknown = await conveyor(["events", "emit", "user.vanished"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^conveyor: name: unknown event "user\.vanished".*\n$/);

    const badJson = await conveyor(["events", "emit", "user.registered", "--payload", "{userId:1}"]);
    expect(badJson.code).toBe(2);
    expect(badJson.stderr).toMatch(/^conveyor: --payload is not valid JSON: .+\n$/);

    const badKind = await conveyor(["pause", "worker", "test.add"]);
    expect(badKind.code).toBe(2);
    expect(badKind.stderr).toMatch(/^conveyor: kind: .*"task".*\n$/);
  });

  it("pause holds a task's new runs until resume, and pauses lists it meanwhile", async () => {
    const paused = await conveyor(["pause", "task", "test.add"]);
    expect(paused).toMatchObject({ code: 0, stdout: "task test.add paused\n" });
    const listed = await conveyor(["pauses"]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/│ task\s+│ test\.add\s+│ test operator\s+│ \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+│/);

    const { id } = await app.client.runs.enqueue.mutate({ task: "test.add", input: { value: 6 } });
    // A run enqueued after it, of an unpaused task, finishes while the paused one stays queued.
    const other = await app.client.runs.enqueue.mutate({ task: "conveyor.noop", input: {} });
    await waitForRun(database.url, other.id, (run) => run.status === "succeeded");
    expect((await app.client.runs.get.query({ id })).status).toBe("queued");

    const resumed = await conveyor(["resume", "task", "test.add"]);
    expect(resumed).toMatchObject({ code: 0, stdout: "task test.add resumed\n" });
    expect((await waitForRun(database.url, id, (run) => run.status === "succeeded")).output).toEqual({ value: 7 });
    expect((await conveyor(["pauses"])).stdout).not.toContain("test.add");
    expect((await conveyor(["resume", "task", "test.add"])).stdout).toBe("task test.add was not paused\n");
  });

  it("runs steps shows an approval waiting at its decision, and runs complete resumes it", async () => {
    const { id } = await app.client.runs.enqueue.mutate({ task: "approval.request", input: { subject: "cli-x" } });
    await waitForEvents(
      database.url,
      async () => {
        if ((await app.client.runs.get.query({ id })).status !== "waiting") return undefined;
        const steps = await app.client.runs.steps.query({ id });
        return steps.some((step) => step.name === "decision") ? true : undefined;
      },
      () => `run ${id} never waited at its decision step`,
    );
    const steps = await conveyor(["runs", "steps", id]);
    expect(steps.code).toBe(0);
    expect(steps.stdout).toMatch(/│ request\s+│ step\s+│ completed\s+│/);
    expect(steps.stdout).toMatch(/│ decision\s+│ wait\s+│ waiting\s+│ approval\.decided {"subject":"cli-x"}\s+│/);

    const badOutput = await conveyor(["runs", "complete", id, "decision", "--output", '{"subject":"cli-x"}']);
    expect(badOutput.code).toBe(2);
    expect(badOutput.stderr).toMatch(/^conveyor: output\.approved: .+\n$/);

    const output = JSON.stringify({ subject: "cli-x", approved: true, by: "cli" });
    const completed = await conveyor(["runs", "complete", id, "decision", "--output", output]);
    expect(completed).toMatchObject({ code: 0, stdout: `run ${id} resumed at decision\n` });
    const run = await waitForRun(database.url, id, (current) => current.status === "succeeded");
    expect(run.output).toMatchObject({ approved: true, decidedBy: "cli" });
    const twice = await conveyor(["runs", "complete", id, "decision", "--output", output]);
    expect(twice).toMatchObject({ code: 0, stdout: `run ${id}: decision was already completed\n` });
  });
});
