import { setTimeout as delay } from "node:timers/promises";
import { reportGenerate } from "@conveyor/shared";
import type { Executor } from "../db/client.js";
import { findReport, saveReport } from "../reports/service.js";
import { implementTask } from "../worker/taskImplementation.js";

const steps = 5;

/** Transient by nature: the next attempt may well succeed, so it is retried with backoff. */
export class ReportServiceUnavailableError extends Error {
  override name = "ReportServiceUnavailableError";
}

export interface ReportGenerateOptions {
  /** How long each of the five steps takes. */
  stepMs: number;
  random?: () => number;
  /**
   * Where reports are kept, one per user and version; a run finding one there returns it instead
   * of building it again. Without it every run builds a report of its own.
   */
  db?: Executor;
}

export function implementReportGenerate(options: ReportGenerateOptions) {
  const random = options.random ?? Math.random;
  const { db } = options;
  return implementTask(
    reportGenerate,
    async ({ userId, failureRate, version = 1 }, { runId, signal, progress, logger }) => {
      // Checked first, so a repeated run, or a retry after a crash past the insert, does no work.
      const existing = db ? await findReport(db, userId, version) : null;
      if (existing) {
        logger.info("report already generated", { userId, version, runId: existing.runId });
        progress({ current: steps, total: steps, message: "Already generated" });
        return { userId, reportUrl: existing.reportUrl };
      }
      // A failing attempt fails at one of its steps, as a flaky downstream service would.
      const failingStep = random() < failureRate ? 1 + Math.floor(random() * steps) : null;
      for (let step = 1; step <= steps; step += 1) {
        progress({ current: step - 1, total: steps, message: `Step ${step}/${steps}` });
        await delay(options.stepMs, undefined, { signal });
        if (step === failingStep) throw new ReportServiceUnavailableError(`report service unavailable at step ${step}`);
        progress({ current: step, total: steps, message: `Step ${step}/${steps}` });
      }
      const reportUrl = `/reports/${userId}/${runId}.pdf`;
      if (!db) {
        logger.info("report generated", { userId });
        return { userId, reportUrl };
      }
      // Another run may have finished the same report meanwhile: the first one kept wins.
      const saved = await saveReport(db, { userId, version, runId, reportUrl });
      logger.info(saved.runId === runId ? "report generated" : "report already generated", {
        userId,
        version,
        runId: saved.runId,
      });
      return { userId, reportUrl: saved.reportUrl };
    },
  );
}
