import { execFile } from "node:child_process";
import { readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { projectWithPackedClient, repoRoot } from "./fixtures/clientPackage.js";
import { startFileConveyor } from "./fixtures/testConveyor.js";

/*
 * @conveyor/client as another project gets it: packed, installed from its tarball into an empty
 * project outside this repository (no workspace links), compiled by strict TypeScript and run.
 */

const run = promisify(execFile);
const tsc = join(repoRoot, "node_modules", "typescript", "bin", "tsc");
const { app } = await startFileConveyor("client_tarball");

let project = "";
afterAll(async () => {
  if (project) await rm(project, { recursive: true, force: true });
});

beforeAll(async () => {
  project = await projectWithPackedClient("elsewhere");
  await writeFile(
    join(project, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "ES2022",
        module: "NodeNext",
        moduleResolution: "NodeNext",
        lib: ["ES2023", "DOM"],
        types: [],
        strict: true,
        skipLibCheck: true,
        outDir: "out",
      },
    }),
  );
}, 180_000);

/** Compiles `source` in the project; tsc's exit code and what it printed. */
async function compile(file: string, source: string): Promise<{ code: number; output: string }> {
  await writeFile(join(project, file), source);
  try {
    const { stdout } = await run(process.execPath, [tsc, "-p", ".", "--noEmit", "false"], { cwd: project });
    return { code: 0, output: stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, output: failed.stdout };
  } finally {
    await rm(join(project, file));
  }
}

describe("@conveyor/client from its tarball, in a project of its own", () => {
  it("installs without the server's sources: its only @conveyor package is itself", async () => {
    const installed = await readdir(join(project, "node_modules", "@conveyor"));
    expect(installed).toEqual(["client"]);
  });

  it("refuses, at compile time, a wrong input field and a task name that does not exist", async () => {
    const { code, output } = await compile(
      "wrong.ts",
      `import { createClient, enqueue } from "@conveyor/client";
const client = createClient({ url: "http://127.0.0.1:1" });
await enqueue(client, "report.generate", { userId: 1, colour: "blue" });
await enqueue(client, "report.generat", { userId: 1 });
`,
    );
    expect(code).not.toBe(0);
    // Each line is refused, and what is wrong is named: the unknown field, the unknown task.
    const [third, fourth] = output.split(/^(?=wrong\.ts\(4,)/m);
    expect(third).toMatch(/^wrong\.ts\(3,\d+\): error/);
    expect(third).toContain("'colour' does not exist");
    expect(fourth).toMatch(/^wrong\.ts\(4,\d+\): error/);
    expect(fourth).toContain('"report.generat"');
  });

  it("compiles a strict program and runs it against a server: enqueue by name, waitFor, a subscription, an emit", async () => {
    const { code, output } = await compile(
      "main.ts",
      `import { createClient, emit, enqueue, type LiveEvent, waitFor } from "@conveyor/client";
declare const process: { env: Record<string, string | undefined> };

const client = createClient({ url: process.env.CONVEYOR_URL ?? "", token: process.env.CONVEYOR_TOKEN });
const seen: LiveEvent["type"][] = [];
let started = () => {};
let ended = () => {};
const subscribed = new Promise<void>((resolve) => (started = resolve));
const succeededSeen = new Promise<void>((resolve) => (ended = resolve));
const subscription = client.events.feed.subscribe(
  { task: "report.generate" },
  {
    onStarted: () => started(),
    onData: ({ data }) => {
      seen.push(...data.map((event) => event.type));
      if (seen.includes("run.succeeded")) ended();
    },
  },
);
// Live from here on: the run's first event is the feed's too.
await subscribed;
const { id } = await enqueue(client, "report.generate", { userId: 7, failureRate: 0 });
const output = await waitFor(client, id, "report.generate");
// Typed by the task's name: reportUrl is a string.
const url: string = output.reportUrl;
const emitted = await emit(client, "user.registered", {
  userId: 7,
  username: "elsewhere",
  email: "elsewhere@example.com",
  actor: "tarball test",
  registeredAt: new Date().toISOString(),
});
await succeededSeen;
subscription.unsubscribe();
console.log(JSON.stringify({ userId: output.userId, url, seen, started: emitted.runs.length }));
`,
    );
    expect(code, output).toBe(0);
    const { stdout } = await run(process.execPath, [join(project, "out", "main.js")], {
      cwd: project,
      env: { ...process.env, CONVEYOR_URL: app.conveyor.url ?? "", CONVEYOR_TOKEN: app.tokens.operator },
    });
    const result = JSON.parse(stdout) as { userId: number; url: string; seen: string[]; started: number };
    expect(result.userId).toBe(7);
    expect(result.url).toMatch(/7/);
    expect(result.seen).toEqual(expect.arrayContaining(["run.queued", "run.started", "run.succeeded"]));
    expect(result.started).toBeGreaterThan(0);
  });
});
