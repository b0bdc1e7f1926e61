import { z } from "zod";
import { userRegistered } from "../emittedEvents/userRegistered.js";
import { defineTask, onEvent } from "../task.js";

export const emailSend = defineTask({
  name: "email.send",
  description: "Sends one email through the outbox; a retry of the same run never sends it twice.",
  input: z.object({
    to: z.email(),
    subject: z.string().min(1).max(200),
    body: z.string().max(100_000),
  }),
  output: z.object({
    status: z.literal("sent"),
    to: z.email(),
  }),
  // The example app's welcome email: sent for every registration, in the registration's transaction.
  on: [
    onEvent(userRegistered, {
      input: (user) => ({
        to: user.email,
        subject: `Welcome to Conveyor, ${user.username}`,
        body: `Hello ${user.username},\n\nyour account is ready. This email was enqueued in the same transaction that created it.\n`,
      }),
    }),
  ],
  defaults: {
    maxAttempts: 8,
    backoff: { initialDelayMs: 1_000, factor: 2, maxDelayMs: 600_000 },
    timeoutMs: 30_000,
  },
});
