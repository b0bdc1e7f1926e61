import { z } from "zod";
import { defineEvent } from "../eventDefinitions.js";

/** A person approved or declined something a run waits for (`approval.request`). */
export const approvalDecided = defineEvent({
  name: "approval.decided",
  description: "Someone approved or declined a pending request.",
  payload: z.object({
    subject: z.string().min(1).max(200),
    approved: z.boolean(),
    by: z.string().min(1).max(200),
    note: z.string().max(2_000).optional(),
  }),
});
