import { type RunError, type RunProgress, roles, runEventTypes, runStatuses } from "@conveyor/shared";
import { sql } from "drizzle-orm";
import {
  bigserial,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

const timestamptz = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });
const inList = (values: readonly string[]) => sql.raw(values.map((value) => `'${value}'`).join(", "));

/** One execution record per enqueued run; graphile-worker deletes its job, this row stays. */
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
    createdAt: timestamptz("created_at").notNull().defaultNow(),
    startedAt: timestamptz("started_at"),
    finishedAt: timestamptz("finished_at"),
    updatedAt: timestamptz("updated_at").notNull().defaultNow(),
  },
  (table) => [
    check("runs_status_check", sql`${table.status} in (${inList(runStatuses)})`),
    // No index on status, on purpose: every run changes status three times, and an unindexed
    // status keeps those updates HOT (no index writes). Listings filter status along the id order.
    index("runs_task_id_idx").on(table.task, table.id),
    index("runs_flow_id_idx").on(table.flowId).where(sql`${table.flowId} is not null`),
    uniqueIndex("runs_idempotency_key_idx").on(table.idempotencyKey).where(sql`${table.idempotencyKey} is not null`),
  ],
);

/** Append-only history of every state change, progress report and log line. */
export const events = pgTable(
  "events",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    runId: uuid("run_id"),
    flowId: uuid("flow_id"),
    type: text("type", { enum: runEventTypes }).notNull(),
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull().default({}),
    createdAt: timestamptz("created_at").notNull().defaultNow(),
  },
  (table) => [
    index("events_run_id_id_idx").on(table.runId, table.id),
    index("events_flow_id_id_idx").on(table.flowId, table.id).where(sql`${table.flowId} is not null`),
    // BRIN: events arrive in time order, so retention pruning gets a tiny, nearly free index.
    index("events_created_at_idx").using("brin", table.createdAt),
  ],
);

/** Emails written by `email.send`; the idempotency key makes a retried send a no-op. */
export const outbox = pgTable("outbox", {
  id: uuid("id").primaryKey().defaultRandom(),
  idempotencyKey: text("idempotency_key").notNull().unique(),
  runId: uuid("run_id"),
  to: text("to").notNull(),
  subject: text("subject").notNull(),
  body: text("body").notNull(),
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
