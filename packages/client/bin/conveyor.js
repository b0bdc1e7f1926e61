#!/usr/bin/env node
// The `conveyor` command. In a checkout it runs the TypeScript sources through tsx, so it works
// right after `npm install` and never runs a stale build; the packed package has no sources and
// runs its built dist/cli.js.
import { existsSync } from "node:fs";

const source = new URL("../src/cli.ts", import.meta.url);
if (existsSync(source)) {
  const { register } = await import("tsx/esm/api");
  register();
  await import(source.href);
} else {
  await import(new URL("../dist/cli.js", import.meta.url).href);
}
