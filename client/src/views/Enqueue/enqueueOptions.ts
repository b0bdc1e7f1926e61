import { type EnqueueOptions, enqueueOptionsSchema } from "@conveyor/shared";
import { type FormValues, formErrorName, type InputIssue } from "./taskInput";

/*
 * The enqueue options as form values, named apart from the input's fields (`f0`, `f1`, …), and
 * checked with the API's own `enqueueOptionsSchema`.
 */

/** When the run may start: now, after a delay, or at a chosen time. */
export const startChoices = [
  { value: "now", label: "Now" },
  { value: "delay", label: "After a delay" },
  { value: "at", label: "At a time" },
] as const;

/** Form field name for each option the form offers. */
export const optionFieldNames = {
  queue: "optQueue",
  priority: "optPriority",
  start: "optStart",
  delayMs: "optDelayMs",
  runAt: "optRunAt",
  maxAttempts: "optMaxAttempts",
  timeoutMs: "optTimeoutMs",
  idempotencyKey: "optIdempotencyKey",
} as const;

const names = optionFieldNames;

/** Every option left to the task's defaults. */
export const initialOptionValues: FormValues = {
  [names.queue]: "",
  [names.priority]: "",
  [names.start]: "now",
  [names.delayMs]: "",
  [names.runAt]: "",
  [names.maxAttempts]: "",
  [names.timeoutMs]: "",
  [names.idempotencyKey]: "",
};

/** A number input's value: `undefined` when left empty (`""` untouched, NaN cleared). */
function numberOf(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isNaN(value) ? undefined : value;
  if (typeof value === "string" && value.trim() !== "") return Number(value);
  return undefined;
}

function textOf(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

/** The form field an option issue belongs to (the schema reports `delayMs`, `runAt`, …). */
export function optionFieldOf(path: readonly PropertyKey[]): string | undefined {
  const key = path[0];
  return typeof key === "string" && key in names ? names[key as keyof typeof names] : undefined;
}

export type OptionsResult = { options: EnqueueOptions | undefined } | { errors: Record<string, string> };

/** The options the form's values describe, validated as the API will; none given is `undefined`. */
export function enqueueOptionsOf(values: FormValues): OptionsResult {
  const start = values[names.start];
  const runAtText = textOf(values[names.runAt]);
  // A `datetime-local` value has no offset: it is the reader's local time.
  const runAt = start === "at" && runAtText ? new Date(runAtText) : undefined;
  if (start === "at" && (!runAt || Number.isNaN(runAt.getTime())))
    return { errors: { [names.runAt]: "Choose when the run may start." } };
  if (start === "delay" && numberOf(values[names.delayMs]) === undefined)
    return { errors: { [names.delayMs]: "Give the delay in milliseconds." } };

  const candidate = Object.fromEntries(
    Object.entries({
      queue: textOf(values[names.queue]),
      priority: numberOf(values[names.priority]),
      delayMs: start === "delay" ? numberOf(values[names.delayMs]) : undefined,
      runAt,
      maxAttempts: numberOf(values[names.maxAttempts]),
      timeoutMs: numberOf(values[names.timeoutMs]),
      idempotencyKey: textOf(values[names.idempotencyKey]),
    }).filter(([, value]) => value !== undefined),
  );
  if (Object.keys(candidate).length === 0) return { options: undefined };
  const parsed = enqueueOptionsSchema.safeParse(candidate);
  if (parsed.success) return { options: parsed.data };
  return { errors: optionErrorsOf(parsed.error.issues) };
}

/** Option issues (paths relative to the options) as errors keyed by form field, first per field. */
export function optionErrorsOf(issues: readonly InputIssue[]): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const issue of issues) {
    const field = optionFieldOf(issue.path) ?? formErrorName;
    errors[field] ??= field === formErrorName ? `options: ${issue.message}` : issue.message;
  }
  return errors;
}
