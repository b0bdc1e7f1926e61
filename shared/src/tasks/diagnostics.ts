import { z } from "zod";
import { defineTask } from "../task.js";

/** Returns its input unchanged: the cheapest possible run, for benchmarks and health checks. */
export const noop = defineTask({
  name: "conveyor.noop",
  description: "Returns its input unchanged.",
  input: z.record(z.string(), z.unknown()),
  output: z.record(z.string(), z.unknown()),
  defaults: { maxAttempts: 1 },
});

/** Waits `ms`, reporting progress, and stops early when its signal aborts. */
export const sleep = defineTask({
  name: "conveyor.sleep",
  description: "Waits the given milliseconds, reporting progress; honours cancellation.",
  input: z.object({ ms: z.number().int().min(0).max(3_600_000) }),
  output: z.object({ ms: z.number().int() }),
  defaults: { maxAttempts: 1 },
});
