import { z } from "zod";
import { defineTask } from "../task.js";

/**
 * A durable workflow: records the request (a step), waits out a cool-off (a sleep that holds no
 * worker), then waits for an `approval.decided` event about its subject, declining on timeout.
 */
export const approvalRequest = defineTask({
  name: "approval.request",
  description: "Asks for an approval and waits for it durably (no worker is held); declines when none comes in time.",
  input: z.object({
    subject: z.string().min(1).max(200),
    /** Waited before asking, durably. */
    coolOffMs: z
      .number()
      .int()
      .min(0)
      .max(7 * 86_400_000)
      .default(0),
    /** How long the approval may take. */
    timeoutMs: z
      .number()
      .int()
      .min(1_000)
      .max(30 * 86_400_000)
      .default(86_400_000),
  }),
  output: z.object({
    subject: z.string(),
    approved: z.boolean(),
    decidedBy: z.string(),
    /** The attempt that recorded the request: later attempts reuse its stored result. */
    requestedOnAttempt: z.number().int(),
  }),
  defaults: { maxAttempts: 5, timeoutMs: 60_000 },
});
