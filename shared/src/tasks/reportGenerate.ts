import { z } from "zod";
import { defineTask } from "../task.js";

/** The classic tutorial's report job: five slow steps, each of which may fail transiently. */
export const reportGenerate = defineTask({
  name: "report.generate",
  description:
    "Builds a user's report in five steps, once per user and version; fails transiently at failureRate and is retried with backoff.",
  input: z.object({
    userId: z.number().int().positive(),
    failureRate: z.number().min(0).max(1).default(0.2),
    /**
     * Which report of the user; 1 when left out. A user has one report per version: a later run
     * for the same pair returns that report instead of building it again. No schema default, so
     * stored inputs stay as they were enqueued.
     */
    version: z.number().int().min(1).max(1_000_000).optional(),
  }),
  output: z.object({
    userId: z.number().int(),
    reportUrl: z.string(),
  }),
  defaults: {
    maxAttempts: 5,
    backoff: { initialDelayMs: 500, factor: 2, maxDelayMs: 30_000 },
    timeoutMs: 60_000,
  },
});
