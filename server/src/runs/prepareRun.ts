import { type EnqueueOptions, limits, type TaskDefinition } from "@conveyor/shared";
import { v7 as uuidv7 } from "uuid";
import { type InputIssue, issuesFromZod } from "../errors.js";
import type { TaskCatalog } from "../tasks/catalog.js";
import type { NewRun } from "./sql/insertRuns.js";

/** Keys live this long unless the enqueue says otherwise. */
const defaultIdempotencyTtlMs = 24 * 3_600_000;

export type RunPlacement = Pick<
  NewRun,
  "flowId" | "flowNode" | "pendingDependencies" | "inputMode" | "rerunOf" | "scheduleId"
>;

export const standalone: RunPlacement = {
  flowId: null,
  flowNode: null,
  pendingDependencies: 0,
  inputMode: "static",
  rerunOf: null,
  scheduleId: null,
};

/** Finds the task or records an issue naming it. */
export function findTask(
  catalog: TaskCatalog,
  task: string,
  path: (string | number)[],
  issues: InputIssue[],
): TaskDefinition | undefined {
  const definition = catalog.get(task);
  if (!definition) {
    issues.push({ path, message: `unknown task "${task}" (known: ${catalog.names().join(", ")})` });
  }
  return definition;
}

/** Checks size and schema of a static input; returns the parsed input (defaults applied) or records issues. */
export function validateInput(
  definition: TaskDefinition,
  input: unknown,
  path: (string | number)[],
  issues: InputIssue[],
): { ok: true; value: unknown } | { ok: false } {
  const size = Buffer.byteLength(JSON.stringify(input ?? null));
  if (size > limits.runInputBytes) {
    issues.push({ path, message: `is ${size} bytes, over the limit runInputBytes of ${limits.runInputBytes}` });
    return { ok: false };
  }
  const parsed = definition.input.safeParse(input);
  if (!parsed.success) {
    issues.push(...issuesFromZod(parsed.error, path));
    return { ok: false };
  }
  return { ok: true, value: parsed.data };
}

/**
 * A new run of `definition` with the enqueue options resolved against the task's defaults.
 * `input` must already be validated (or be null, for flow runs fed by their parents).
 */
export function buildRun(
  definition: TaskDefinition,
  input: unknown,
  options: EnqueueOptions,
  now: Date,
  placement: RunPlacement,
): NewRun {
  const runAt = options.runAt ?? new Date(now.getTime() + (options.delayMs ?? 0));
  const isDue = runAt.getTime() <= now.getTime();
  return {
    id: uuidv7(),
    task: definition.name,
    status: placement.pendingDependencies > 0 ? "waiting" : isDue ? "queued" : "scheduled",
    input,
    maxAttempts: options.maxAttempts ?? definition.defaults.maxAttempts,
    timeoutMs: options.timeoutMs ?? definition.defaults.timeoutMs,
    queue: options.queue ?? definition.defaults.queue,
    priority: options.priority ?? definition.defaults.priority,
    runAt,
    idempotencyKey: options.idempotencyKey ?? null,
    idempotencyExpiresAt: options.idempotencyKey
      ? new Date(now.getTime() + (options.idempotencyTtlMs ?? defaultIdempotencyTtlMs))
      : null,
    ...placement,
  };
}
