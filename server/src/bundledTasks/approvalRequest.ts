import { approvalDecided, approvalRequest } from "@conveyor/shared";
import { z } from "zod";
import { WaitTimeoutError } from "../steps/stepErrors.js";
import { implementTask } from "../worker/taskImplementation.js";

const requested = z.object({ requestedAt: z.iso.datetime(), attempt: z.number().int() });

export const approvalRequestImplementation = implementTask(approvalRequest, async (input, ctx) => {
  const request = await ctx.step(
    "request",
    async () => ({ requestedAt: new Date().toISOString(), attempt: ctx.attempt }),
    requested,
  );
  if (input.coolOffMs > 0) await ctx.sleep("cool-off", input.coolOffMs);
  ctx.logger.info(`waiting for a decision on ${input.subject}`);
  try {
    const decision = await ctx.waitForEvent("decision", {
      event: approvalDecided,
      match: { subject: input.subject },
      timeoutMs: input.timeoutMs,
    });
    return {
      subject: input.subject,
      approved: decision.approved,
      decidedBy: decision.by,
      requestedOnAttempt: request.attempt,
    };
  } catch (error) {
    if (!(error instanceof WaitTimeoutError)) throw error;
    return { subject: input.subject, approved: false, decidedBy: "timeout", requestedOnAttempt: request.attempt };
  }
});
