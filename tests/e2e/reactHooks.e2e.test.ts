import { execFile } from "node:child_process";
import { once } from "node:events";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join } from "node:path";
import { promisify } from "node:util";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, saveScreenshot } from "../fixtures/browser.js";
import { projectWithPackedClient } from "../fixtures/clientPackage.js";
import { startFileConveyor } from "../fixtures/testConveyor.js";

/*
 * Another app's UI on @conveyor/client/react: a Vite + React app built in a folder of its own
 * from the packed tarball and registry packages only, served from an origin of its own, and used in
 * Chromium against an API that allows that origin (CORS_ORIGINS).
 */

const run = promisify(execFile);

/** The app: a button that enqueues a run with useEnqueue, and the run as useRun shows it, each status as it came. */
const appSource = `import { ConveyorProvider, useEnqueue, useRun } from "@conveyor/client/react";
import { useEffect, useState } from "react";
import { createRoot } from "react-dom/client";

function RunView({ id }: { id: string }) {
  const { run } = useRun(id, "conveyor.sleep");
  const [statuses, setStatuses] = useState<string[]>([]);
  useEffect(() => {
    if (run && statuses.at(-1) !== run.status) setStatuses([...statuses, run.status]);
  }, [run, statuses]);
  // Typed by the task: the output is { ms: number } once it succeeded.
  const slept: number | undefined = run?.output?.ms;
  return (
    <div>
      <p data-testid="statuses">{statuses.join(" > ")}</p>
      <p data-testid="output">{slept === undefined ? "" : \`slept \${slept} ms\`}</p>
    </div>
  );
}

function App() {
  const { enqueue, isPending } = useEnqueue("conveyor.sleep");
  const [id, setId] = useState<string>();
  return (
    <main>
      <button type="button" disabled={isPending} onClick={async () => setId((await enqueue({ ms: 1500 })).id)}>
        Enqueue
      </button>
      {id ? <RunView id={id} /> : null}
    </main>
  );
}

const query = new URLSearchParams(location.search);
const token = query.get("token") ?? undefined;
const root = document.getElementById("root");
if (root) {
  createRoot(root).render(
    <ConveyorProvider url={query.get("api") ?? ""} token={token}>
      <App />
    </ConveyorProvider>,
  );
}
`;

async function buildApp(): Promise<string> {
  const project = await projectWithPackedClient("react-app", [
    "react@19.3.1",
    "react-dom@19.3.1",
    "@tanstack/react-query@5.108.0",
    "@trpc/react-query@11.19.0",
    "vite@8.3.8",
    "@vitejs/plugin-react@6.3.0",
  ]);
  await mkdir(join(project, "src"));
  await writeFile(join(project, "src", "main.tsx"), appSource);
  await writeFile(
    join(project, "index.html"),
    `<!doctype html><html><body><div id="root"></div><script type="module" src="/src/main.tsx"></script></body></html>`,
  );
  await writeFile(
    join(project, "vite.config.js"),
    `import react from "@vitejs/plugin-react";\nexport default { plugins: [react()] };\n`,
  );
  await run(
    process.execPath,
    [join(project, "node_modules", "vite", "bin", "vite.js"), "build", "--logLevel", "warn"],
    {
      cwd: project,
      env: { ...process.env, NODE_ENV: "production" },
    },
  );
  return project;
}

/** Serves the built app from an origin of its own (not Conveyor's). */
async function serveApp(dist: string): Promise<{ origin: string; close: () => void }> {
  const types: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css" };
  const server = createServer(async (request, response) => {
    const path = new URL(request.url ?? "/", "http://app").pathname;
    const file = join(dist, path === "/" ? "index.html" : path);
    try {
      const body = await readFile(file);
      response.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" }).end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

const project = await buildApp();
const site = await serveApp(join(project, "dist"));
// The app's origin is allowed to call the API from the browser; it sends a token.
const { app } = await startFileConveyor("e2e_react_hooks", { env: { CORS_ORIGINS: site.origin } });
let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  site.close();
  await rm(project, { recursive: true, force: true });
});

describe("an app of its own on @conveyor/client/react, on another origin", () => {
  it("enqueues a run with useEnqueue and follows it with useRun, live, to succeeded", async () => {
    const page = await browser.newPage();
    const sockets: string[] = [];
    page.on("websocket", (socket) => sockets.push(socket.url()));
    const api = encodeURIComponent(app.conveyor.url ?? "");
    await page.goto(`${site.origin}/?api=${api}&token=${app.tokens.operator}`);
    await page.getByRole("button", { name: "Enqueue" }).click();
    await page.getByTestId("output").getByText("slept 1500 ms").waitFor({ timeout: 20_000 });
    const statuses = (await page.getByTestId("statuses").textContent())?.split(" > ") ?? [];
    // Read before it finished, then moved on by its events without a reload.
    expect(statuses.at(-1)).toBe("succeeded");
    expect(statuses.length).toBeGreaterThan(1);
    expect(["queued", "running"]).toContain(statuses[0]);
    expect(sockets).toHaveLength(1);
    await saveScreenshot(page, "react-hooks-app");
  });
});
