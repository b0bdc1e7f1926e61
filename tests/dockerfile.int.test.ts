import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot } from "./fixtures/clientPackage.js";
import { createApiClient, isFinished, waitForRun } from "./fixtures/testConveyor.js";
import { createTestDatabase } from "./fixtures/testDatabase.js";

const run = promisify(execFile);

interface Stage {
  name: string | null;
  instructions: { keyword: string; args: string }[];
}

/** The Dockerfile's stages and their instructions (continuation lines joined, comments dropped). */
async function parseDockerfile(): Promise<Stage[]> {
  const text = (await readFile(join(repoRoot, "Dockerfile"), "utf8")).replace(/\\\n/g, " ");
  const stages: Stage[] = [];
  for (const line of text.split("\n")) {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    const [, keyword = "", args = ""] = /^(\S+)\s+(.*)$/.exec(trimmed) ?? [];
    if (keyword.toUpperCase() === "FROM") {
      stages.push({ name: /\bAS\s+(\S+)/i.exec(args)?.[1] ?? null, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push({ keyword: keyword.toUpperCase(), args });
    }
  }
  return stages;
}

/** `.dockerignore` as a test of a context-relative path, with Docker's meaning of `*` and `**`. */
async function dockerIgnore(): Promise<(path: string) => boolean> {
  const patterns = (await readFile(join(repoRoot, ".dockerignore"), "utf8"))
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
  const regexes = patterns.map((pattern) => {
    // `**/` is any number of directories; `*` stays within one.
    const source = pattern
      .split("**/")
      .map((part) => part.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*"))
      .join("(?:.*/)?");
    return new RegExp(`^${source}$`);
  });
  return (path) => regexes.some((regex) => regex.test(path));
}

/** Copies the build context into `target`, leaving out what `.dockerignore` names (and below it). */
async function copyContext(target: string): Promise<void> {
  const ignored = await dockerIgnore();
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(join(repoRoot, dir), { withFileTypes: true })) {
      const path = dir === "" ? entry.name : `${dir}/${entry.name}`;
      if (ignored(path)) continue;
      if (entry.isDirectory()) await walk(path);
      else {
        await mkdir(dirname(join(target, path)), { recursive: true });
        await cp(join(repoRoot, path), join(target, path));
      }
    }
  };
  await walk("");
}

/**
 * Replays each stage in a directory of its own standing for its WORKDIR: COPY from the context
 * (or `--from` an earlier stage's directory), RUN through `sh -c` with the stage's ENV.
 */
async function replay(stages: Stage[], root: string): Promise<{ dir: string; cmd: string[]; user: string | null }> {
  // The image's `node` user does not exist here: ownership changes are the one thing skipped.
  const shims = join(root, "shims");
  await mkdir(shims);
  await writeFile(join(shims, "chown"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
  const dirs = new Map<string, string>();
  let last = { dir: "", cmd: [] as string[], user: null as string | null };
  for (const [index, stage] of stages.entries()) {
    const dir = join(root, `stage-${index}`);
    await mkdir(dir, { recursive: true });
    const env: Record<string, string> = {};
    let cmd: string[] = [];
    let user: string | null = null;
    for (const { keyword, args } of stage.instructions) {
      if (keyword === "COPY") {
        const parts = args.split(/\s+/);
        const from = parts[0]?.startsWith("--from=") ? parts.shift()?.slice("--from=".length) : undefined;
        const destination = parts.pop() ?? ".";
        for (const source of parts) {
          const base = from === undefined ? repoRoot : dirs.get(from);
          if (!base) throw new Error(`COPY --from=${from}: no such stage`);
          const sourcePath = from === undefined ? source : relative("/app", source);
          const target =
            destination.endsWith("/") || parts.length > 1
              ? join(dir, destination, source.split("/").pop() ?? "")
              : join(dir, destination);
          if (source === "." && from === undefined) await copyContext(join(dir, destination));
          else {
            await mkdir(dirname(target), { recursive: true });
            await cp(join(base, sourcePath), target, { recursive: true });
          }
        }
      } else if (keyword === "RUN") {
        const path = `${shims}:${process.env.PATH ?? ""}`;
        await run("sh", ["-c", args], {
          cwd: dir,
          env: { ...process.env, ...env, PATH: path },
          maxBuffer: 64 * 1024 * 1024,
        });
      } else if (keyword === "ENV") {
        const [key = "", value = ""] = args.split("=");
        env[key] = value;
      } else if (keyword === "CMD") {
        cmd = JSON.parse(args) as string[];
      } else if (keyword === "USER") {
        user = args;
      } else if (!["WORKDIR", "EXPOSE"].includes(keyword)) {
        throw new Error(`the replay does not know ${keyword}; teach it, or keep the Dockerfile to what it knows`);
      }
    }
    if (stage.name) dirs.set(stage.name, dir);
    last = { dir, cmd, user };
  }
  return last;
}

describe("the Dockerfile, replayed step by step in an empty directory", () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  // Two installs and both builds, as the image build would run them: minutes, not seconds.
  it("builds, and its last stage runs the compiled server as a non-root user: UI, API and worker", {
    timeout: 300_000,
  }, async () => {
    const root = await mkdtemp(join(tmpdir(), "conveyor-image-"));
    cleanup.push(() => rm(root, { recursive: true, force: true }));
    const image = await replay(await parseDockerfile(), root);

    expect(image.user).toBe("node");
    expect(image.cmd).toEqual(["node", "server/dist/main.js"]);
    // Compiled JavaScript only: no TypeScript sources, no tsx, no dev dependencies.
    expect(existsSync(join(image.dir, "server/src"))).toBe(false);
    expect(existsSync(join(image.dir, "node_modules/tsx"))).toBe(false);
    expect(existsSync(join(image.dir, "node_modules/vitest"))).toBe(false);
    expect(existsSync(join(image.dir, "client/dist/index.html"))).toBe(true);

    const database = await createTestDatabase("image");
    cleanup.push(() => database.drop());
    const adminToken = `cvy_${randomBytes(32).toString("base64url")}`;
    const [command = "node", ...args] = image.cmd;
    const server: ChildProcess = spawn(command === "node" ? process.execPath : command, args, {
      cwd: image.dir,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: "production",
        DATABASE_URL: database.url,
        PORT: "0",
        LOG_LEVEL: "warn",
        CONVEYOR_ADMIN_TOKEN: adminToken,
        CACHE_PREFIX: `test:${randomBytes(4).toString("hex")}`,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    cleanup.push(async () => {
      if (server.exitCode === null && server.signalCode === null) {
        const exited = once(server, "exit");
        server.kill("SIGKILL");
        await exited;
      }
    });
    let stderr = "";
    server.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const url = await new Promise<string>((resolve, reject) => {
      let stdout = "";
      server.stdout?.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
        const match = /Conveyor is running at (\S+)/.exec(stdout);
        if (match?.[1]) resolve(match[1]);
      });
      server.once("exit", (code) => reject(new Error(`the image's server exited with ${code}: ${stderr}`)));
    });

    expect((await fetch(`${url}/health`)).status).toBe(200);
    expect(await (await fetch(`${url}/`)).text()).toContain('<div id="root">');
    const client = createApiClient(url, adminToken);
    const { id } = await client.runs.enqueue.mutate({ task: "conveyor.noop", input: {} });
    expect((await waitForRun(database.url, id, isFinished)).status).toBe("succeeded");
  });
});
