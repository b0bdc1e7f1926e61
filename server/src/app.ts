import { join } from "node:path";
import type pg from "pg";
import { prepareAccess } from "./auth/firstStart.js";
import { TokenAuthenticator } from "./auth/tokens.js";
import { type BundledTaskSettings, bundledImplementations, bundledTaskSettings } from "./bundledTasks/bundled.js";
import { cacheNamespaces } from "./cache/namespaces.js";
import { invalidateAfter } from "./cache/procedures.js";
import { ReadThroughCache } from "./cache/readThroughCache.js";
import type { Config } from "./config/env.js";
import { createDatabase, createPool, type Database } from "./db/client.js";
import { ensureDatabase, redact } from "./db/ensureDatabase.js";
import { checkSessionUrl } from "./db/sessionCheck.js";
import { EventHub } from "./events/eventHub.js";
import { SubscriptionLimiter } from "./events/subscriptionLimiter.js";
import { createHttpServer, type HttpServer } from "./http/createHttpServer.js";
import { startHealthServer } from "./http/healthServer.js";
import { startMetricsServer } from "./http/metricsServer.js";
import { type AppLogger, createLogger } from "./logger.js";
import { seedMetrics } from "./metrics/metrics.js";
import { repositoryRoot } from "./repositoryRoot.js";
import { resolvesWithin } from "./resolvesWithin.js";
import { createScheduleTickTask, scheduleTickCronItem, scheduleTickTaskName } from "./schedules/tick.js";
import { migrateDatabase } from "./schema/migrateDatabase.js";
import { TaskCatalog } from "./tasks/catalog.js";
import type { AppServices } from "./trpc.js";
import { jobsPerTaskSlot, type RunningWorker, startWorker } from "./worker/startWorker.js";
import type { TaskImplementation } from "./worker/taskImplementation.js";

export const defaultStaticDir = join(repositoryRoot, "client", "dist");

export interface ConveyorOptions {
  config: Config;
  /** Serve the API (and the UI, when built) in this process. */
  api: boolean;
  /** Run a worker in this process. */
  worker: boolean;
  /** The task implementations this process knows; the bundled tasks by default. */
  implementations?: (db: Database, settings: BundledTaskSettings) => TaskImplementation[];
  staticDir?: string | null;
  logger?: AppLogger;
  /** Called when the worker cannot start over after losing its database; `npm start` exits non-zero. */
  onFatal?: (error: Error) => void;
  /** Worker poll interval for due retries and scheduled runs, in milliseconds. */
  pollIntervalMs?: number;
}

export interface Conveyor {
  /** Where the API listens, or null without the API role. */
  readonly url: string | null;
  /** On DATABASE_URL: Conveyor's own statements. */
  readonly pool: pg.Pool;
  /** On DIRECT_DATABASE_URL (the same pool when it is left out): graphile-worker's runner and the schema lock. */
  readonly directPool: pg.Pool;
  readonly db: Database;
  readonly services: AppServices;
  /** The worker role's `GET /health` when `HEALTH_PORT` is set and the process serves no API. */
  readonly healthUrl: string | null;
  /** Where Prometheus scrapes this process: the API's `/metrics`, or the worker's METRICS_PORT listener. */
  readonly metricsUrl: string | null;
  /** Printed once at first start: signs a browser in with the admin token created then. */
  readonly loginUrl: string | null;
  readonly worker: RunningWorker | null;
  readonly http: HttpServer | null;
  /** Stops taking requests and jobs, drains running attempts, then closes the database pool. */
  close(): Promise<void>;
}

/** How long requests in flight get to finish at shutdown before their connections are cut. */
const httpDrainMs = 5_000;

/** Closes the HTTP server, cutting connections still open after the drain (a stream whose client vanished). */
async function closeHttpServer(http: HttpServer, logger: AppLogger): Promise<void> {
  const closed = http.close();
  if (await resolvesWithin(closed, httpDrainMs)) return;
  logger.warn({ drainMs: httpDrainMs }, "connections still open at shutdown; closing them");
  http.server.closeAllConnections();
  await closed;
}

/**
 * Creates the database if missing and checks the two URLs; returns the one for sessions. Before
 * anything takes a session lock: migrations through a pooler in transaction mode would leave
 * their advisory lock on whichever server connection took it.
 */
async function ensureDatabaseUrls(config: Config): Promise<string> {
  const directUrl = config.DIRECT_DATABASE_URL ?? config.DATABASE_URL;
  await ensureDatabase(directUrl);
  await checkSessionUrl({ databaseUrl: config.DATABASE_URL, directUrl });
  return directUrl;
}

/**
 * `--migrate`: the database created if missing and migrated, then nothing more: an upgrade's
 * first step (the Kubernetes migrations Job). Every role also migrates as it starts, under the
 * same lock, so this is an ordering, not a requirement.
 */
export async function migrateOnly(config: Config, logger: AppLogger): Promise<void> {
  const pool = createPool(await ensureDatabaseUrls(config), 2);
  try {
    await migrateDatabase(pool, logger);
  } finally {
    await pool.end();
  }
}

/** Prepares the database and starts the roles asked for; `npm start`, the tests and the bench all come through here. */
export async function startConveyor(options: ConveyorOptions): Promise<Conveyor> {
  const { config } = options;
  const logger = options.logger ?? createLogger(config.LOG_LEVEL);
  const directUrl = await ensureDatabaseUrls(config);
  // graphile-worker wants a connection per job slot it runs, plus a few for the API and batches.
  const poolSize = options.worker ? Math.max(10, config.WORKER_CONCURRENCY * jobsPerTaskSlot + 4) : 10;
  const pool = createPool(config.DATABASE_URL, poolSize);
  // Sessions (graphile-worker's runner, the schema lock) on the direct URL when it is another.
  const directPool = directUrl === config.DATABASE_URL ? pool : createPool(directUrl, options.worker ? poolSize : 2);
  const endPools = async () => {
    await pool.end();
    if (directPool !== pool) await directPool.end();
  };
  try {
    await migrateDatabase(directPool, logger);
  } catch (error) {
    await endPools();
    throw new Error(`could not migrate ${redact(directUrl)}`, { cause: error });
  }
  const db = createDatabase(pool);
  const settings = bundledTaskSettings(config);
  const implementations = (options.implementations ?? bundledImplementations)(db, settings);
  const catalog = new TaskCatalog(implementations.map((implementation) => implementation.definition));
  seedMetrics(
    catalog.all().map((task) => task.name),
    cacheNamespaces,
  );
  const hub = options.api ? new EventHub(db, directUrl, logger, config.LIVE_BUFFER_EVENTS) : null;
  const services: AppServices = {
    db,
    catalog,
    logger,
    authenticator: new TokenAuthenticator(db),
    hub,
    subscriptions: new SubscriptionLimiter(),
    cache: new ReadThroughCache({ redisUrl: config.REDIS_URL, prefix: config.CACHE_PREFIX, logger }),
  };
  let firstToken: string | null = null;
  if (options.api) {
    try {
      ({ firstToken } = await prepareAccess(db, { host: config.HOST, adminToken: config.CONVEYOR_ADMIN_TOKEN }));
    } catch (error) {
      await endPools();
      throw error;
    }
  }

  const tick = createScheduleTickTask({ db, catalog, logger });
  const worker = options.worker
    ? await startWorker({
        directPool,
        db,
        implementations,
        concurrency: config.WORKER_CONCURRENCY,
        localQueueSize: config.WORKER_LOCAL_QUEUE_SIZE,
        directUrl,
        extraTasks: {
          // The tick moves schedules' fire times and enqueues runs: their listings go stale.
          [scheduleTickTaskName]: (payload: unknown) => invalidateAfter(services, "scheduleFired", () => tick(payload)),
        },
        extraCronItems: [scheduleTickCronItem],
        heartbeatMs: config.WORKER_HEARTBEAT_MS,
        deadAfterMs: config.WORKER_DEAD_AFTER_MS,
        succeededRetentionMs: config.SUCCEEDED_RETENTION_MS,
        eventRetentionMs: config.EVENT_RETENTION_MS,
        shutdownGraceMs: config.SHUTDOWN_GRACE_MS,
        abortGraceMs: config.ABORT_GRACE_MS,
        recoveryTimeoutMs: config.WORKER_RECOVERY_TIMEOUT_MS,
        onFatal: options.onFatal ?? ((error) => logger.fatal({ err: error }, "worker gave up")),
        logger,
        ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
      })
    : null;

  // A worker alone serves no API; when asked, it still answers its supervisor's health probe.
  const healthServer =
    !options.api && worker && config.HEALTH_PORT !== undefined
      ? await startHealthServer({ db, hub: null, worker }, { port: config.HEALTH_PORT, host: config.HOST })
      : null;
  const metricsSources = { db, catalog, pool, hub, worker, workerConcurrency: config.WORKER_CONCURRENCY };
  const metricsServer =
    !options.api && config.METRICS_PORT !== undefined
      ? await startMetricsServer(
          metricsSources,
          { authenticator: services.authenticator, metricsToken: config.METRICS_TOKEN },
          { port: config.METRICS_PORT, host: config.HOST },
        )
      : null;
  let http: HttpServer | null = null;
  let url: string | null = null;
  let loginUrl: string | null = null;
  if (options.api) {
    await hub?.start();
    http = await createHttpServer({
      services,
      storage: settings.storage,
      staticDir: options.staticDir === undefined ? defaultStaticDir : options.staticDir,
      corsOrigins: config.CORS_ORIGINS,
      logger,
      worker,
      metrics: { sources: metricsSources, token: config.METRICS_TOKEN },
    });
    await http.listen({ port: config.PORT, host: config.HOST });
    const address = http.server.address();
    const port = typeof address === "object" && address ? address.port : config.PORT;
    const host = config.HOST.includes(":") ? `[${config.HOST}]` : config.HOST;
    url = `http://${host}:${port}`;
    if (firstToken) loginUrl = `${url}/login?token=${firstToken}`;
  }

  let closing: Promise<void> | undefined;
  return {
    url,
    healthUrl: healthServer?.url ?? null,
    metricsUrl: metricsServer?.url ?? (url ? `${url}/metrics` : null),
    pool,
    directPool,
    db,
    services,
    loginUrl,
    worker,
    http,
    close() {
      closing ??= (async () => {
        // Subscriptions end first: an open event stream would hold the HTTP server's close.
        await hub?.stop();
        if (http) await closeHttpServer(http, logger);
        await healthServer?.close();
        await metricsServer?.close();
        await worker?.stop();
        await services.cache.close();
        await endPools();
      })();
      return closing;
    },
  };
}
