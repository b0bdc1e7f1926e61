import { setTimeout as delay } from "node:timers/promises";
import { reportGenerate } from "@conveyor/shared";
import { implementTask } from "../worker/taskImplementation.js";

const steps = 5;

/** Transient by nature: the next attempt may well succeed, so it is retried with backoff. */
export class ReportServiceUnavailableError extends Error {
  override name = "ReportServiceUnavailableError";
}

export function implementReportGenerate(options: { stepMs: number; random?: () => number }) {
  const random = options.random ?? Math.random;
  return implementTask(reportGenerate, async ({ userId, failureRate }, { runId, signal, progress, logger }) => {
    // A failing attempt fails at one of its steps, as a flaky downstream service would.
    const failingStep = random() < failureRate ? 1 + Math.floor(random() * steps) : null;
    for (let step = 1; step <= steps; step += 1) {
      progress({ current: step - 1, total: steps, message: `Step ${step}/${steps}` });
      await delay(options.stepMs, undefined, { signal });
      if (step === failingStep) throw new ReportServiceUnavailableError(`report service unavailable at step ${step}`);
      progress({ current: step, total: steps, message: `Step ${step}/${steps}` });
    }
    logger.info("report generated", { userId });
    return { userId, reportUrl: `/reports/${userId}/${runId}.pdf` };
  });
}
