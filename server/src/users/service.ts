import {
  auditRecord,
  emailSend,
  type listUsersInputSchema,
  type RegisterUserInput,
  type TaskInput,
  type User,
  type UserWrite,
  userRegistered,
} from "@conveyor/shared";
import { desc, eq, lt } from "drizzle-orm";
import type { z } from "zod";
import type { Executor } from "../db/client.js";
import { schema } from "../db/client.js";
import { violatedUniqueConstraint } from "../db/pgErrors.js";
import { emitEvent } from "../emittedEvents/service.js";
import { InputError, NotFoundError } from "../errors.js";
import { enqueueRuns } from "../runs/service.js";
import type { TaskCatalog } from "../tasks/catalog.js";

export interface UserPage {
  items: User[];
  nextCursor: number | null;
}

/** Which field each unique index of `users` guards, to name it in the error. */
const uniqueFields: Record<string, keyof RegisterUserInput> = {
  users_username_key: "username",
  users_email_key: "email",
};

/**
 * Inserts the user and, in the same transaction, enqueues the welcome email and the audit entry:
 * a user who exists always gets both, and a user whose insert rolled back gets neither.
 */
export async function registerUser(
  db: Executor,
  catalog: TaskCatalog,
  input: RegisterUserInput,
  actor: string,
): Promise<UserWrite> {
  const { username, email } = input;
  try {
    return await db.transaction(async (tx) => {
      const [inserted] = await tx.insert(schema.users).values({ username, email }).returning();
      if (!inserted) throw new Error("user insert returned nothing");
      // The welcome email and the audit entry are subscribers of the event (see their tasks' `on`).
      const registered = await emitEvent(tx, catalog, userRegistered, {
        userId: inserted.id,
        username: inserted.username,
        email: inserted.email,
        actor,
        registeredAt: new Date().toISOString(),
      });
      const welcome = registered.runs.find((run) => run.task === emailSend.name);
      const audit = registered.runs.find((run) => run.task === auditRecord.name);
      if (!welcome || !audit) throw new Error("registering a user enqueued fewer runs than asked");
      const [user] = await tx
        .update(schema.users)
        .set({ welcomeEmailRunId: welcome.id })
        .where(eq(schema.users.id, inserted.id))
        .returning();
      if (!user) throw new Error(`user ${inserted.id} vanished inside its own transaction`);
      return { user, auditRunId: audit.id };
    });
  } catch (error) {
    const constraint = violatedUniqueConstraint(error);
    const field = constraint === null ? undefined : uniqueFields[constraint];
    if (field) {
      throw new InputError([{ path: [field], message: `a user with this ${field} already exists` }]);
    }
    throw error;
  }
}

/** Deletes the user and enqueues the audit entry in the same transaction. */
export async function deleteUser(db: Executor, catalog: TaskCatalog, id: number, actor: string): Promise<UserWrite> {
  return db.transaction(async (tx) => {
    const [user] = await tx.delete(schema.users).where(eq(schema.users.id, id)).returning();
    if (!user) throw new NotFoundError(`user ${id} does not exist`);
    const [audit] = await enqueueRuns(tx, catalog, [
      { task: auditRecord.name, input: auditEntry("user.deleted", actor, user) },
    ]);
    if (!audit) throw new Error("deleting a user enqueued no audit entry");
    return { user, auditRunId: audit.id };
  });
}

/** Newest first, keyset-paginated on the id. */
export async function listUsers(db: Executor, query: z.output<typeof listUsersInputSchema>): Promise<UserPage> {
  const { cursor, limit } = query;
  const rows = await db
    .select()
    .from(schema.users)
    .where(cursor === undefined ? undefined : lt(schema.users.id, cursor))
    .orderBy(desc(schema.users.id))
    .limit(limit + 1);
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? (items.at(-1)?.id ?? null) : null };
}

function auditEntry(
  action: "user.deleted",
  actor: string,
  user: Pick<User, "id" | "username" | "email">,
): TaskInput<typeof auditRecord> {
  return {
    action,
    actor,
    subject: { type: "user", id: String(user.id) },
    details: { username: user.username, email: user.email },
    occurredAt: new Date().toISOString(),
  };
}
