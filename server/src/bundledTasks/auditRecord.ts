import { auditRecord } from "@conveyor/shared";
import { eq } from "drizzle-orm";
import type { Executor } from "../db/client.js";
import { schema } from "../db/client.js";
import { implementTask } from "../worker/taskImplementation.js";

/** Writes the entry keyed by run: a retried attempt finds it there and writes nothing new. */
export function implementAuditRecord(db: Executor) {
  return implementTask(auditRecord, async (entry, { runId, logger }) => {
    const [inserted] = await db
      .insert(schema.auditLog)
      .values({
        runId,
        action: entry.action,
        actor: entry.actor,
        subjectType: entry.subject.type,
        subjectId: entry.subject.id,
        details: entry.details,
        occurredAt: new Date(entry.occurredAt),
      })
      .onConflictDoNothing({ target: schema.auditLog.runId })
      .returning({ id: schema.auditLog.id });
    if (inserted) {
      logger.info("audit entry recorded", { action: entry.action, entryId: inserted.id });
      return { entryId: inserted.id, wasAlreadyRecorded: false };
    }
    const [existing] = await db
      .select({ id: schema.auditLog.id })
      .from(schema.auditLog)
      .where(eq(schema.auditLog.runId, runId));
    if (!existing) throw new Error(`the audit entry of run ${runId} conflicted but cannot be found`);
    logger.info("audit entry was already recorded", { action: entry.action, entryId: existing.id });
    return { entryId: existing.id, wasAlreadyRecorded: true };
  });
}
