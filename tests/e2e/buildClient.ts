import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "vite";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** Where this run's build of the web UI is. */
    staticDir: string;
  }
}

/**
 * Builds the web UI once before the browser tests, so they exercise what `npm start` serves. Each
 * run builds into a folder of its own: two runs at once never overwrite each other's bundle.
 */
export default async function buildClient(project: TestProject): Promise<() => Promise<void>> {
  const outDir = await mkdtemp(join(tmpdir(), "conveyor-ui-"));
  // The bundle `npm start` serves is a production one; Vitest's NODE_ENV=test would make React's
  // development build instead, slower and not what users get.
  const testEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = "production";
  await build({
    root: fileURLToPath(new URL("../../client", import.meta.url)),
    configFile: fileURLToPath(new URL("../../client/vite.config.ts", import.meta.url)),
    logLevel: "warn",
    mode: "production",
    build: { outDir, emptyOutDir: true },
  }).finally(() => {
    process.env.NODE_ENV = testEnv;
  });
  project.provide("staticDir", outDir);
  return () => rm(outDir, { recursive: true, force: true });
}
