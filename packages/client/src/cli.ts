#!/usr/bin/env node
/** The `conveyor` command: see `conveyor --help`. */
import { runCli } from "./cli/program.js";

const interrupt = new AbortController();
process.once("SIGINT", () => interrupt.abort());
process.once("SIGTERM", () => interrupt.abort());

const exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: interrupt.signal,
});
// Exit now rather than when idle keep-alive sockets close; flush stdout first (it may be a pipe).
process.stdout.write("", () => process.exit(exitCode));
