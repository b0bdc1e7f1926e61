import { createHash } from "node:crypto";
import { type EnqueueOptions, limitKeySchema, limits, type TaskDefinition } from "@conveyor/shared";
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
  const keyProblem = checkLimitKeys(definition, parsed.data);
  if (keyProblem) {
    issues.push({ path, message: keyProblem });
    return { ok: false };
  }
  return { ok: true, value: parsed.data };
}

/** Why the task's key functions refuse this input, or null when they give valid keys. */
function checkLimitKeys(definition: TaskDefinition, input: unknown): string | null {
  const keyed = [
    ["concurrency", definition.keyConcurrency],
    ["rate limit", definition.rateLimitKey],
  ] as const;
  for (const [limit, spec] of keyed) {
    if (!spec) continue;
    try {
      const key = limitKeySchema.safeParse(spec.key(input));
      if (!key.success) return `gives no valid ${limit} key: ${key.error.issues[0]?.message ?? "invalid"}`;
    } catch (error) {
      return `gives no ${limit} key: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
  return null;
}

/** graphile-worker's limit on a queue name. */
const maxQueueNameLength = 128;

/**
 * The serial queue a run of a task limited per key runs in: one of `maxPerKey` queues of its key,
 * picked from the run's id. graphile-worker runs one job per queue at a time and takes the next
 * job from any other queue meanwhile, so a key with ten thousand runs waiting holds at most
 * `maxPerKey` slots, and a run of another key starts at the next free slot.
 */
export function keyQueue(definition: TaskDefinition, key: string, runId: string, maxPerKey: number): string {
  const shard = maxPerKey > 1 ? `/${Number.parseInt(runId.slice(-8), 16) % maxPerKey}` : "";
  const name = `${definition.name}/${key}${shard}`;
  if (name.length <= maxQueueNameLength) return name;
  return `${definition.name.slice(0, 60)}/${createHash("sha256").update(key).digest("hex").slice(0, 40)}${shard}`;
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
  const id = uuidv7();
  const { keyConcurrency } = definition;
  // Validated by validateInput; flow runs fed by their parents have no input yet (see checkNode).
  const concurrencyKey = keyConcurrency && input !== null ? keyConcurrency.key(input) : null;
  return {
    id,
    task: definition.name,
    status: placement.pendingDependencies > 0 ? "waiting" : isDue ? "queued" : "scheduled",
    input,
    maxAttempts: options.maxAttempts ?? definition.defaults.maxAttempts,
    timeoutMs: options.timeoutMs ?? definition.defaults.timeoutMs,
    queue:
      keyConcurrency && concurrencyKey !== null
        ? keyQueue(definition, concurrencyKey, id, keyConcurrency.maxPerKey)
        : (options.queue ?? definition.defaults.queue),
    concurrencyKey,
    priority: options.priority ?? definition.defaults.priority,
    runAt,
    idempotencyKey: options.idempotencyKey ?? null,
    idempotencyExpiresAt: options.idempotencyKey
      ? new Date(now.getTime() + (options.idempotencyTtlMs ?? defaultIdempotencyTtlMs))
      : null,
    ...placement,
  };
}
