import { emailSend } from "@conveyor/shared";
import { eq } from "drizzle-orm";
import type { Database } from "../db/client.js";
import { schema } from "../db/client.js";
import { implementTask, type RunLogger } from "../worker/taskImplementation.js";
import type { Mailer } from "./smtpMailer.js";

export interface EmailSendOptions {
  /** Delivers through SMTP; null (no SMTP_URL) keeps each email in the outbox only. */
  mailer: Mailer | null;
}

/** The Message-ID of one email: fixed by its idempotency key, so a resend carries the same one. */
export function messageIdFor(runId: string): string {
  return `<run.${runId}@conveyor>`;
}

/** One outbox row per run: the key a retried attempt finds its email by. */
const outboxKey = (runId: string) => `run:${runId}`;

/**
 * Writes the email to the outbox keyed by run before anything else, then sends it only if the row
 * says it was not sent yet, and marks it sent in the same transaction.
 */
export function implementEmailSend(db: Database, options: EmailSendOptions = { mailer: null }) {
  return implementTask(emailSend, async ({ to, subject, body }, { runId, logger }) => {
    const idempotencyKey = outboxKey(runId);
    // Committed on its own: even an attempt that fails to send leaves the email on record.
    const inserted = await db
      .insert(schema.outbox)
      .values({ idempotencyKey, runId, to, subject, body, messageId: messageIdFor(runId) })
      .onConflictDoNothing({ target: schema.outbox.idempotencyKey })
      .returning({ id: schema.outbox.id });
    if (!options.mailer) {
      logger.info(inserted.length > 0 ? "email queued in outbox" : "email was already in outbox", { to });
      return { status: "sent" as const, to };
    }
    await sendOnce(db, options.mailer, runId, logger);
    return { status: "sent" as const, to };
  });
}

/**
 * The row stays locked while SMTP talks, so two attempts of one run (one of them abandoned after
 * a timeout but still sending) cannot both send: the second finds the row locked and retries
 * later, by which time it reads `sent_at`. A crash after the server accepted the email and before
 * the commit leaves `sent_at` empty, and the next attempt sends again, with the same Message-ID.
 */
async function sendOnce(db: Database, mailer: Mailer, runId: string, logger: RunLogger): Promise<void> {
  const idempotencyKey = outboxKey(runId);
  await db.transaction(async (tx) => {
    const [email] = await tx
      .select()
      .from(schema.outbox)
      .where(eq(schema.outbox.idempotencyKey, idempotencyKey))
      .for("update", { skipLocked: true });
    if (!email) throw new Error(`another attempt is sending ${idempotencyKey} right now; retrying later`);
    if (email.sentAt) {
      logger.info("email was already sent", { to: email.to, messageId: email.messageId, sentAt: email.sentAt });
      return;
    }
    // Rows written before Message-IDs were recorded get the one their run would get now.
    const messageId = email.messageId ?? messageIdFor(runId);
    const { response } = await mailer.send({ to: email.to, subject: email.subject, text: email.body, messageId });
    await tx.update(schema.outbox).set({ sentAt: new Date() }).where(eq(schema.outbox.id, email.id));
    logger.info("email sent", { to: email.to, messageId, response });
  });
}
