import { z } from "zod";
import { userRegistered } from "../emittedEvents/userRegistered.js";
import { defineTask, onEvent } from "../task.js";

/** Appends one entry to the audit log; enqueued in the transaction of the write it records. */
export const auditRecord = defineTask({
  name: "audit.record",
  description: "Appends one entry to the audit log; a retried run writes it once.",
  input: z.object({
    /** What happened, as `domain.verb`: `user.registered`. */
    action: z
      .string()
      .max(100)
      .regex(/^[a-z]+(?:\.[a-z_]+)+$/, "must look like domain.verb"),
    /** Who asked for it: the token's name. */
    actor: z.string().min(1).max(200),
    subject: z.object({ type: z.string().min(1).max(50), id: z.string().min(1).max(100) }),
    details: z.record(z.string(), z.unknown()).default({}),
    /** When it happened; the entry keeps this, not the time the task got to it. */
    occurredAt: z.iso.datetime(),
  }),
  output: z.object({
    entryId: z.number().int(),
    /** True when an earlier attempt of the same run had already written the entry. */
    wasAlreadyRecorded: z.boolean(),
  }),
  on: [
    onEvent(userRegistered, {
      input: (user) => ({
        action: "user.registered",
        actor: user.actor,
        subject: { type: "user", id: String(user.userId) },
        details: { username: user.username, email: user.email },
        occurredAt: user.registeredAt,
      }),
    }),
  ],
  defaults: {
    maxAttempts: 10,
    backoff: { initialDelayMs: 1_000, factor: 2, maxDelayMs: 300_000 },
    timeoutMs: 30_000,
  },
});
