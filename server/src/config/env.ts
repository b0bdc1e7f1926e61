import { tokenPattern } from "@conveyor/shared";
import { z } from "zod";

const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

const envSchema = z.object({
  /** Postgres holding the app's tables and graphile-worker's schema; created if missing. */
  DATABASE_URL: z
    .url({ protocol: /^postgres(ql)?$/, error: "must be a postgres:// URL" })
    .default("postgres://postgres@127.0.0.1:5432/conveyor"),
  /**
   * The same database for sessions: LISTEN, migrations and graphile-worker's runner (which LISTENs and
   * prepares its statements). Set it when DATABASE_URL is a pooler in transaction mode (PgBouncer);
   * left out, DATABASE_URL serves both.
   */
  DIRECT_DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: "must be a postgres:// URL" }).optional(),
  /** Redis for the listings' read-through cache; everything works without it, slower. */
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: "must be a redis:// URL" }).default("redis://127.0.0.1:6379"),
  /** Prefix of every cache key, so deployments (and test runs) sharing a Redis never collide. */
  CACHE_PREFIX: z
    .string()
    .regex(/^[\w.:-]{1,64}$/, "may hold letters, digits, '_', '.', ':' and '-' only")
    .default("conveyor"),
  /** Port serving the UI, /trpc and /health. */
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  /**
   * Origins of other sites whose pages may call the API from a browser (CORS), comma-separated, e.g.
   * `https://app.example.com`; none by default. They authenticate with a token: the session cookie
   * never crosses sites.
   */
  CORS_ORIGINS: z
    .string()
    .default("")
    .transform((list) =>
      list
        .split(",")
        .map((origin) => origin.trim())
        .filter(Boolean),
    )
    .pipe(
      z.array(
        z
          .url({ protocol: /^https?$/, error: "each must be an origin such as https://app.example.com" })
          .refine(
            (origin) => URL.canParse(origin) && new URL(origin).origin === origin,
            "each must be an origin (scheme, host and port, nothing after)",
          ),
      ),
    ),
  /** Interface to bind; loopback unless told otherwise. */
  HOST: z.string().min(1).default("127.0.0.1"),
  LOG_LEVEL: z.enum(logLevels).default("info"),
  /** Runs one worker process executes at once. */
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(1_000).default(24),
  /** Jobs a worker locks ahead in one fetch; 0 fetches one job per free slot. */
  WORKER_LOCAL_QUEUE_SIZE: z.coerce.number().int().min(0).max(10_000).default(0),
  /** How long a shutdown waits for running attempts before returning them to the queue. */
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
  /** Registered as an admin token at start-up; for containers, where no one reads the first-start link. */
  CONVEYOR_ADMIN_TOKEN: z
    .string()
    .regex(tokenPattern, "must look like a Conveyor token (cvy_ and 43 base64url characters)")
    .optional(),
  /** How often a worker records that it is alive. */
  WORKER_HEARTBEAT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  /** A worker silent this long is declared dead; its jobs are released to the others. */
  WORKER_DEAD_AFTER_MS: z.coerce.number().int().min(300).max(600_000).default(20_000),
  /** How long a worker that lost its database keeps trying to start over before it exits non-zero. */
  WORKER_RECOVERY_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(300_000),
  /** Worker role alone: serve `GET /health` on this port (0 picks a free one); unset, none. */
  HEALTH_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
  /** Worker role alone: serve `GET /metrics` on this port (0 picks a free one); the API serves it on PORT. */
  METRICS_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
  /** A bearer token for scrapers, besides any API token; at least 32 characters. */
  METRICS_TOKEN: z.string().min(32).optional(),
  /**
   * Events one live subscriber may have waiting for its connection before it is cut off (it
   * reconnects and resumes after its last event); bounds the memory a slow or dead client holds.
   */
  LIVE_BUFFER_EVENTS: z.coerce.number().int().min(10).max(1_000_000).default(10_000),
  /** Succeeded runs older than this are dropped with their day's partition; 7 days by default. */
  SUCCEEDED_RETENTION_MS: z.coerce
    .number()
    .int()
    .min(60_000)
    .default(7 * 86_400_000),
  /** Events (and the overview's per-minute rollups) older than this are dropped, whatever their run; 30 days by default. */
  EVENT_RETENTION_MS: z.coerce
    .number()
    .int()
    .min(60_000)
    .default(30 * 86_400_000),
  /** After an attempt's signal aborts (timeout, shutdown), how long the task has to settle. */
  ABORT_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(5_000),
  /** SMTP server `email.send` delivers through (smtp:// or smtps://, credentials in the URL); unset: the outbox only. */
  SMTP_URL: z.url({ protocol: /^smtps?$/, error: "must be an smtp:// or smtps:// URL" }).optional(),
  /** Where uploaded images and their thumbnails are kept, relative to the repository root; API and workers must share it. */
  STORAGE_DIR: z.string().min(1).default("./data/images"),
});

export type Config = z.infer<typeof envSchema>;

/** The environment variables the server reads, by name. */
export const configVariables: readonly string[] = Object.keys(envSchema.shape);

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Reads the configuration once at start-up; a bad value names the variable and what is wrong. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ""));
  const result = envSchema.safeParse(present);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`);
  throw new ConfigError(`Invalid configuration:\n${problems.join("\n")}`);
}
