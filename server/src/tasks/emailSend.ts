import { emailSend } from "@conveyor/shared";
import type { Database } from "../db/client.js";
import { schema } from "../db/client.js";
import { implementTask } from "../worker/taskImplementation.js";

/** Writes the email to the outbox keyed by run, so a retried attempt finds it there and sends nothing new. */
export function implementEmailSend(db: Database) {
  return implementTask(emailSend, async ({ to, subject, body }, { runId, logger }) => {
    const inserted = await db
      .insert(schema.outbox)
      .values({ idempotencyKey: `run:${runId}`, runId, to, subject, body })
      .onConflictDoNothing({ target: schema.outbox.idempotencyKey })
      .returning({ id: schema.outbox.id });
    logger.info(inserted.length > 0 ? "email queued in outbox" : "email was already in outbox", { to });
    return { status: "sent" as const, to };
  });
}
