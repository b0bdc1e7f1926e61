import {
  acceptedImageFormats,
  flowKinds,
  flowStatuses,
  pauseKinds,
  type RunError,
  type RunProgress,
  roles,
  runEventTypes,
  runStatuses,
  stepKinds,
  stepStatuses,
} from "@conveyor/shared";
import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

const timestamptz = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });
/** static: as enqueued; previous: the one parent's output; results: `{ ...input, results: [...] }`; parents: `{ [name]: output }`. */
export const runInputModes = ["static", "previous", "results", "parents"] as const;
export type RunInputMode = (typeof runInputModes)[number];

const inList = (values: readonly string[]) => sql.raw(values.map((value) => `'${value}'`).join(", "));

/**
 * One execution record per enqueued run; graphile-worker deletes its job, this row stays.
 * Partitioned by range of id, a day per partition (migration 0009; `server/src/history`): a run
 * never moves partition as its status changes, and retention drops a day at a time.
 */
export const runs = pgTable(
  "runs",
  {
    /** UUIDv7, so ordering by id is ordering by creation time (keyset pagination). */
    id: uuid("id").primaryKey(),
    task: text("task").notNull(),
    status: text("status", { enum: runStatuses }).notNull(),
    input: jsonb("input").notNull(),
    output: jsonb("output"),
    error: jsonb("error").$type<RunError>(),
    attempts: integer("attempts").notNull().default(0),
    maxAttempts: integer("max_attempts").notNull(),
    timeoutMs: integer("timeout_ms").notNull(),
    progress: jsonb("progress").$type<RunProgress>(),
    queue: text("queue"),
    priority: integer("priority").notNull().default(0),
    runAt: timestamptz("run_at").notNull().defaultNow(),
    nextAttemptAt: timestamptz("next_attempt_at"),
    workerId: text("worker_id"),
    flowId: uuid("flow_id"),
    idempotencyKey: text("idempotency_key"),
    /** After this the idempotency key may be used again (it is cleared on the next enqueue). */
    idempotencyExpiresAt: timestamptz("idempotency_expires_at"),
    /** Dependencies not yet succeeded; the run is `waiting` until this reaches 0. */
    pendingDependencies: integer("pending_dependencies").notNull().default(0),
    /** How a flow run's input is built when it is released: see `runInputModes`. */
    inputMode: text("input_mode", { enum: runInputModes }).notNull().default("static"),
    /** The node's name in its flow (DAG node name, `step-3`, `member-7`, `callback`). */
    flowNode: text("flow_node"),
    rerunOf: uuid("rerun_of"),
    scheduleId: uuid("schedule_id"),
    createdAt: timestamptz("created_at").notNull().defaultNow(),
    startedAt: timestamptz("started_at"),
    finishedAt: timestamptz("finished_at"),
    updatedAt: timestamptz("updated_at").notNull().defaultNow(),
    /**
     * `status` when it is one few runs are in or stay in (waiting, failed, cancelled), else null:
     * indexed instead of `status`, since its value stays null through a run's claim and success,
     * which keeps those updates HOT (no index writes).
     */
    /** The W3C traceparent of the span that enqueued it: its attempts' spans continue that trace. */
    traceContext: text("trace_context"),
    /** For a task limited per key: the key it was enqueued under (its queue is derived from it). */
    concurrencyKey: text("concurrency_key"),
    uncommonStatus: text("uncommon_status").generatedAlwaysAs(
      sql.raw(`CASE WHEN status IN ('waiting', 'failed', 'cancelled') THEN status END`),
    ),
  },
  (table) => [
    check("runs_status_check", sql`${table.status} in (${inList(runStatuses)})`),
    // Each listing filter has an index in the listing's order, so a first page reads about fifty
    // entries whatever the filter's selectivity. Runs waiting to start or running are found
    // through their graphile-worker jobs instead, and succeeded ones along the id order.
    index("runs_task_id_idx").on(table.task, table.id),
    index("runs_uncommon_status_id_idx")
      .on(table.uncommonStatus, table.id)
      .where(sql`${table.uncommonStatus} is not null`),
    index("runs_queue_id_idx").on(table.queue, table.id).where(sql`${table.queue} is not null`),
    index("runs_schedule_id_id_idx").on(table.scheduleId, table.id).where(sql`${table.scheduleId} is not null`),
    index("runs_flow_id_idx").on(table.flowId).where(sql`${table.flowId} is not null`),
    index("runs_idempotency_key_idx").on(table.idempotencyKey).where(sql`${table.idempotencyKey} is not null`),
  ],
);

/** Live idempotency keys: unique here, since a partitioned `runs` can only be unique per id. */
export const runIdempotencyKeys = pgTable("run_idempotency_keys", {
  key: text("key").primaryKey(),
  runId: uuid("run_id").notNull(),
  expiresAt: timestamptz("expires_at").notNull(),
});

/**
 * Runs finished per minute, task, final status and duration bucket, kept by a trigger on `runs`
 * in the transactions that finish (or reopen) runs: the overview reads these, not `runs`.
 */
export const runRollups = pgTable(
  "run_rollups",
  {
    minute: timestamptz("minute").notNull(),
    task: text("task").notNull(),
    status: text("status", { enum: runStatuses }).notNull(),
    /** See `conveyor_duration_bucket`: 0 under 1 ms, b ≥ 1 for [2^((b-1)/4), 2^(b/4)) ms. */
    durationBucket: smallint("duration_bucket").notNull(),
    runs: bigint("runs", { mode: "number" }).notNull(),
  },
  (table) => [
    primaryKey({ name: "run_rollups_pk", columns: [table.minute, table.task, table.status, table.durationBucket] }),
  ],
);

/** Append-only history of every state change, progress report and log line; partitioned by day of `created_at`. */
export const events = pgTable(
  "events",
  {
    id: bigserial("id", { mode: "number" }).notNull(),
    runId: uuid("run_id"),
    flowId: uuid("flow_id"),
    type: text("type", { enum: runEventTypes }).notNull(),
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull().default({}),
    createdAt: timestamptz("created_at").notNull().defaultNow(),
  },
  (table) => [
    // A partitioned table's key must include its partition key; ids alone are unique anyway.
    primaryKey({ name: "events_pkey", columns: [table.id, table.createdAt] }),
    index("events_run_id_id_idx").on(table.runId, table.id),
    index("events_flow_id_id_idx").on(table.flowId, table.id).where(sql`${table.flowId} is not null`),
  ],
);

/**
 * Emails written by `email.send`, before anything is sent: the idempotency key makes a retried
 * send find its row, and `sent_at` tells whether SMTP already accepted it.
 */
export const outbox = pgTable("outbox", {
  id: uuid("id").primaryKey().defaultRandom(),
  idempotencyKey: text("idempotency_key").notNull().unique(),
  runId: uuid("run_id"),
  to: text("to").notNull(),
  subject: text("subject").notNull(),
  body: text("body").notNull(),
  /** The Message-ID header, derived from the idempotency key, so a receiver can drop a resend. */
  messageId: text("message_id"),
  /** When the SMTP server accepted it; null while unsent, and always null without SMTP_URL. */
  sentAt: timestamptz("sent_at"),
  createdAt: timestamptz("created_at").notNull().defaultNow(),
});

/** API tokens: only a SHA-256 of each is stored; the token itself is shown once, at creation. */
export const tokens = pgTable(
  "tokens",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    name: text("name").notNull(),
    role: text("role", { enum: roles }).notNull(),
    tokenHash: text("token_hash").notNull().unique(),
    prefix: text("prefix").notNull(),
    createdAt: timestamptz("created_at").notNull().defaultNow(),
    lastUsedAt: timestamptz("last_used_at"),
    revokedAt: timestamptz("revoked_at"),
  },
  (table) => [check("tokens_role_check", sql`${table.role} in (${inList(roles)})`)],
);

/** Cron schedules, editable at run time; a tick enqueues what fell due. */
export const schedules = pgTable(
  "schedules",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    name: text("name").notNull().unique(),
    cron: text("cron").notNull(),
    timezone: text("timezone").notNull().default("UTC"),
    /** What to enqueue: `{ kind: "task", task, input, options? }` or `{ kind: "flow", flow }`. */
    target: jsonb("target").$type<Record<string, unknown>>().notNull(),
    enabled: boolean("enabled").notNull().default(true),
    /** Missed fire times younger than this are still enqueued after downtime; 0 skips them all. */
    backfillWindowMs: integer("backfill_window_ms").notNull().default(0),
    lastFiredAt: timestamptz("last_fired_at"),
    nextFireAt: timestamptz("next_fire_at"),
    createdAt: timestamptz("created_at").notNull().defaultNow(),
    updatedAt: timestamptz("updated_at").notNull().defaultNow(),
  },
  // The tick looks for enabled schedules that fell due; this keeps that a range scan.
  (table) => [index("schedules_next_fire_at_idx").on(table.nextFireAt).where(sql`${table.enabled}`)],
);

/** A set of runs with dependency edges; its counters move in the transactions that finish its runs. */
export const flows = pgTable(
  "flows",
  {
    id: uuid("id").primaryKey(),
    kind: text("kind", { enum: flowKinds }).notNull(),
    status: text("status", { enum: flowStatuses }).notNull().default("running"),
    totalRuns: integer("total_runs").notNull(),
    succeededRuns: integer("succeeded_runs").notNull().default(0),
    failedRuns: integer("failed_runs").notNull().default(0),
    cancelledRuns: integer("cancelled_runs").notNull().default(0),
    scheduleId: uuid("schedule_id"),
    createdAt: timestamptz("created_at").notNull().defaultNow(),
    finishedAt: timestamptz("finished_at"),
  },
  (table) => [index("flows_status_id_idx").on(table.status, table.id)],
);

/** `runId` waits for `dependsOn`; `position` orders a chord's results, `parentName` keys a DAG node's input. */
export const runDependencies = pgTable(
  "run_dependencies",
  {
    runId: uuid("run_id").notNull(),
    dependsOn: uuid("depends_on").notNull(),
    position: integer("position").notNull().default(0),
    parentName: text("parent_name"),
  },
  (table) => [
    primaryKey({ columns: [table.runId, table.dependsOn] }),
    index("run_dependencies_depends_on_idx").on(table.dependsOn),
  ],
);

/** Worker processes: registered at start, heartbeating, declared dead when the heartbeat stops. */
export const workers = pgTable("workers", {
  id: text("id").primaryKey(),
  host: text("host").notNull(),
  pid: integer("pid").notNull(),
  concurrency: integer("concurrency").notNull(),
  tasks: jsonb("tasks").$type<string[]>().notNull(),
  /** graphile-worker's own ids for this process's workers and pool: the `locked_by` of its jobs. */
  lockIds: jsonb("lock_ids").$type<string[]>().notNull().default([]),
  state: text("state", { enum: ["running", "stopped", "dead"] })
    .notNull()
    .default("running"),
  startedAt: timestamptz("started_at").notNull().defaultNow(),
  lastHeartbeatAt: timestamptz("last_heartbeat_at").notNull().defaultNow(),
  stoppedAt: timestamptz("stopped_at"),
});

/**
 * Each database server (by when it started) that workers have looked on for runs that lost their
 * jobs (migration 0013): a server that restarted or was promoted since is looked at once more.
 */
export const lostJobSweeps = pgTable("lost_job_sweeps", {
  serverStartedAt: timestamptz("server_started_at").primaryKey(),
  sweptAt: timestamptz("swept_at").notNull().defaultNow(),
});

/**
 * Durable execution (migration 0011): each named step of a run with its stored result, or the
 * sleep or event wait it is in. A retried or resumed attempt reads these instead of running again.
 */
export const runSteps = pgTable(
  "run_steps",
  {
    runId: uuid("run_id").notNull(),
    name: text("name").notNull(),
    kind: text("kind", { enum: stepKinds }).notNull(),
    status: text("status", { enum: stepStatuses }).notNull(),
    output: jsonb("output"),
    /** A sleep's wake-up time or a wait's deadline. */
    waitUntil: timestamptz("wait_until"),
    eventName: text("event_name"),
    match: jsonb("match").$type<Record<string, unknown>>(),
    attempt: integer("attempt").notNull(),
    startedAt: timestamptz("started_at").notNull().defaultNow(),
    finishedAt: timestamptz("finished_at"),
  },
  (table) => [
    primaryKey({ name: "run_steps_pkey", columns: [table.runId, table.name] }),
    check("run_steps_kind_check", sql`${table.kind} in (${inList(stepKinds)})`),
    check("run_steps_status_check", sql`${table.status} in (${inList(stepStatuses)})`),
    index("run_steps_waiting_event_idx")
      .on(table.eventName)
      .where(sql`${table.status} = 'waiting' AND ${table.eventName} IS NOT NULL`),
  ],
);

/** Typed events emitted through the API or in a transaction, with the runs they started or resumed. */
export const emittedEvents = pgTable(
  "emitted_events",
  {
    /** UUIDv7: ordered by emission time. */
    id: uuid("id").primaryKey(),
    name: text("name").notNull(),
    payload: jsonb("payload").notNull(),
    idempotencyKey: text("idempotency_key"),
    /** The runs it started: `{ id, task }` each. */
    runs: jsonb("runs").$type<{ id: string; task: string }[]>().notNull().default([]),
    /** The flows it started: `{ id, name }` each. */
    flows: jsonb("flows").$type<{ id: string; name: string }[]>().notNull().default([]),
    resumedRunIds: uuid("resumed_run_ids").array().notNull().default(sql`'{}'`),
    createdAt: timestamptz("created_at").notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex("emitted_events_idempotency_key_idx")
      .on(table.name, table.idempotencyKey)
      .where(sql`${table.idempotencyKey} IS NOT NULL`),
    index("emitted_events_name_id_idx").on(table.name, table.id),
  ],
);

/** Paused tasks and queues: their jobs carry flags that workers are told to skip. */
export const pauses = pgTable(
  "pauses",
  {
    kind: text("kind", { enum: pauseKinds }).notNull(),
    name: text("name").notNull(),
    pausedBy: text("paused_by").notNull(),
    pausedAt: timestamptz("paused_at").notNull().defaultNow(),
  },
  (table) => [
    primaryKey({ name: "pauses_pkey", columns: [table.kind, table.name] }),
    check("pauses_kind_check", sql`${table.kind} in (${inList(pauseKinds)})`),
  ],
);

/** Fixed-window counters for cluster-wide rate limits per task. */
export const taskRateWindows = pgTable(
  "task_rate_windows",
  {
    task: text("task").notNull(),
    windowStart: timestamptz("window_start").notNull(),
    used: integer("used").notNull(),
  },
  (table) => [primaryKey({ columns: [table.task, table.windowStart] })],
);

/** The example app's hotels: the classic cached listing. */
export const hotels = pgTable(
  "hotels",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    name: text("name").notNull(),
    city: text("city").notNull(),
    country: text("country").notNull(),
    stars: integer("stars").notNull(),
    pricePerNightCents: integer("price_per_night_cents").notNull(),
    rooms: integer("rooms").notNull(),
    createdAt: timestamptz("created_at").notNull().defaultNow(),
    updatedAt: timestamptz("updated_at").notNull().defaultNow(),
  },
  (table) => [
    index("hotels_city_name_idx").on(table.city, table.name, table.id),
    index("hotels_name_idx").on(table.name, table.id),
  ],
);

/**
 * The example app's users. Integer ids, because `report.generate` and the nightly schedule name
 * users by number. Email is unique whatever its case: `Ada@x.org` and `ada@x.org` are one inbox.
 */
export const users = pgTable(
  "users",
  {
    id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
    username: text("username").notNull(),
    email: text("email").notNull(),
    /** The `email.send` run enqueued with the insert, in the same transaction. */
    welcomeEmailRunId: uuid("welcome_email_run_id"),
    createdAt: timestamptz("created_at").notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex("users_username_key").on(sql`lower(${table.username})`),
    uniqueIndex("users_email_key").on(sql`lower(${table.email})`),
  ],
);

/** Written by `audit.record`; one entry per run, so a retried run never writes a second. */
export const auditLog = pgTable(
  "audit_log",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    runId: uuid("run_id").notNull().unique(),
    /** What happened, as `domain.verb`: `user.registered`, `user.deleted`. */
    action: text("action").notNull(),
    /** The token name that asked for it. */
    actor: text("actor").notNull(),
    subjectType: text("subject_type").notNull(),
    subjectId: text("subject_id").notNull(),
    details: jsonb("details").$type<Record<string, unknown>>().notNull().default({}),
    /** When the action happened (in the request), not when the task got to record it. */
    occurredAt: timestamptz("occurred_at").notNull(),
    recordedAt: timestamptz("recorded_at").notNull().defaultNow(),
  },
  (table) => [index("audit_log_subject_idx").on(table.subjectType, table.subjectId, table.id)],
);

/** Uploaded originals; the files live under STORAGE_DIR, this row says what and where. */
export const images = pgTable(
  "images",
  {
    id: uuid("id").primaryKey(),
    /** The name the uploader's file had; shown, never used as a path. */
    filename: text("filename").notNull(),
    format: text("format", { enum: acceptedImageFormats }).notNull(),
    width: integer("width").notNull(),
    height: integer("height").notNull(),
    bytes: integer("bytes").notNull(),
    /** The `image.resize` run enqueued with the insert. */
    resizeRunId: uuid("resize_run_id"),
    uploadedBy: text("uploaded_by").notNull(),
    createdAt: timestamptz("created_at").notNull().defaultNow(),
  },
  (table) => [check("images_format_check", sql`${table.format} in (${inList(acceptedImageFormats)})`)],
);

/** Thumbnails written by `image.resize`; kept here because runs (and their outputs) are pruned. */
export const imageThumbnails = pgTable(
  "image_thumbnails",
  {
    imageId: uuid("image_id")
      .notNull()
      .references(() => images.id, { onDelete: "cascade" }),
    /** The longest side asked for, in pixels. */
    size: integer("size").notNull(),
    width: integer("width").notNull(),
    height: integer("height").notNull(),
    bytes: integer("bytes").notNull(),
    createdAt: timestamptz("created_at").notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.imageId, table.size] })],
);

/**
 * Reports built by `report.generate`, one per user and version: a repeated or retried run finds
 * the row and returns it instead of building the report again. No foreign key to `users`, so
 * reports can be asked for any user number, as the task always allowed.
 */
export const reports = pgTable(
  "reports",
  {
    id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
    userId: integer("user_id").notNull(),
    version: integer("version").notNull(),
    /** The run that built it; later runs for the same user and version return this report. */
    runId: uuid("run_id").notNull(),
    reportUrl: text("report_url").notNull(),
    createdAt: timestamptz("created_at").notNull().defaultNow(),
  },
  (table) => [uniqueIndex("reports_user_id_version_key").on(table.userId, table.version)],
);
