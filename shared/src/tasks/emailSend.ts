import { z } from "zod";
import { defineTask } from "../task.js";

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
  defaults: {
    maxAttempts: 8,
    backoff: { initialDelayMs: 1_000, factor: 2, maxDelayMs: 600_000 },
    timeoutMs: 30_000,
  },
});
