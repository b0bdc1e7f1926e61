import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type Conveyor, defaultStaticDir, migrateOnly, startConveyor } from "./app.js";
import { UnsafeBindError } from "./auth/firstStart.js";
import { ConfigError, loadConfig } from "./config/env.js";
import { createLogger } from "./logger.js";
import { startTracing, stopTracing } from "./tracing/tracing.js";

const usage = `usage: conveyor [--api] [--worker] [--headless] | --migrate
  With neither flag, runs the API, the web UI and a worker in one process.
  --headless serves the API without the web UI (and never builds it).
  --migrate creates the database if missing, applies the migrations and exits.`;

function parseRoles(): { api: boolean; worker: boolean; headless: boolean; migrate: boolean } {
  try {
    const { values } = parseArgs({
      options: {
        api: { type: "boolean" },
        worker: { type: "boolean" },
        headless: { type: "boolean" },
        migrate: { type: "boolean" },
      },
    });
    const neither = !values.api && !values.worker;
    return {
      api: neither || values.api === true,
      worker: neither || values.worker === true,
      headless: values.headless === true,
      migrate: values.migrate === true,
    };
  } catch (error) {
    console.error(`${(error as Error).message}\n${usage}`);
    process.exit(2);
  }
}

/** `npm start` on a fresh clone has no built UI yet; build it once. */
function ensureClientBuilt(): void {
  if (existsSync(join(defaultStaticDir, "index.html"))) return;
  console.log("Building the web UI (first start only)…");
  const result = spawnSync("npm", ["run", "build", "-w", "client"], { stdio: "inherit" });
  if (result.status !== 0) throw new Error("building the web UI failed");
}

async function main(): Promise<void> {
  const roles = parseRoles();
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config.LOG_LEVEL);
  if (roles.migrate) {
    await migrateOnly(config, logger);
    logger.info("database migrated");
    // A Job is complete when its process exits: nothing may hold it open.
    process.exit(0);
  }
  const roleNames = [roles.api ? "api" : null, roles.worker ? "worker" : null].filter(Boolean).join("+");
  if (startTracing(`conveyor-${roleNames}`)) logger.info("exporting traces over OTLP");
  if (roles.api && !roles.headless) ensureClientBuilt();
  // Handlers go in before anything starts: the worker may claim a run while the API is still
  // starting, and a signal then must drain it, not kill the process.
  let started: Conveyor | undefined;
  let pending: NodeJS.Signals | undefined;
  let signals = 0;
  const shutdown = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      logger.warn({ signal }, "second signal: exiting without draining");
      process.exit(1);
    }
    if (!started) {
      pending = signal;
      return;
    }
    logger.info({ signal }, "shutting down: draining running attempts");
    started
      .close()
      .then(() => stopTracing())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, "shutdown failed");
          process.exit(1);
        },
      );
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);

  let conveyor: Conveyor;
  try {
    conveyor = await startConveyor({
      config,
      api: roles.api,
      worker: roles.worker,
      ...(roles.headless ? { staticDir: null } : {}),
      logger,
      // A worker that cannot work must not live on: its supervisor restarts it.
      onFatal: (error) => {
        logger.fatal({ err: error }, "worker gave up; exiting for the supervisor to restart it");
        process.exit(1);
      },
    });
  } catch (error) {
    if (error instanceof UnsafeBindError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  started = conveyor;
  if (pending) {
    signals = 0;
    shutdown(pending);
    return;
  }
  if (conveyor.url) console.log(`\nConveyor is running at ${conveyor.url}`);
  if (conveyor.healthUrl) console.log(`Worker health at ${conveyor.healthUrl}`);
  if (conveyor.metricsUrl && !conveyor.url) console.log(`Worker metrics at ${conveyor.metricsUrl}`);
  if (conveyor.loginUrl) {
    console.log(
      `No token existed, so an admin token was created. Sign in (this link is shown only once):\n  ${conveyor.loginUrl}`,
    );
  }
  if (conveyor.url) console.log("");
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
