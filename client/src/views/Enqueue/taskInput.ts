import type { FieldErrors, Resolver, ResolverResult } from "react-hook-form";
import type { z } from "zod";
import type { FormField } from "./schemaFields";

export type FormValues = Record<string, string | number | boolean>;

/** What `taskInputResolver` makes of a valid form: the task input, shaped as the task's schema expects it. */
export interface ResolvedTaskInput {
  input: unknown;
}

/** A problem located by its path in the task input, as zod and the API both report it. */
export interface InputIssue {
  path: readonly PropertyKey[];
  message: string;
}

/** Errors that belong to no single field (e.g. a rule over the whole input) are kept under this name. */
export const formErrorName = "_form";

/** The value of one field as the task input holds it; `undefined` leaves the property out. */
function inputValueOf(field: FormField, value: unknown): { value: unknown } | { issue: string } {
  switch (field.kind) {
    case "number":
    case "integer":
      // An empty number input gives "" (untouched) or NaN (cleared); both mean "not given".
      if (typeof value === "number") return { value: Number.isNaN(value) ? undefined : value };
      return { value: value === "" || value === undefined ? undefined : Number(value) };
    case "boolean":
      return { value: value === true };
    case "enum":
      if (value === "" || value === undefined) return { value: undefined };
      return { value: field.options.find((option) => String(option) === String(value)) };
    case "json": {
      const text = typeof value === "string" ? value.trim() : "";
      if (text === "") return { value: undefined };
      try {
        return { value: JSON.parse(text) };
      } catch (error) {
        return { issue: `Invalid JSON: ${error instanceof Error ? error.message : String(error)}` };
      }
    }
    default:
      // An optional text left empty is "not given"; a required one stays "" so the schema can say why.
      return { value: value === "" && !field.isRequired ? undefined : value };
  }
}

function setAtPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next === "object" && next !== null && !Array.isArray(next)) {
      node = next as Record<string, unknown>;
    } else {
      const created: Record<string, unknown> = {};
      node[key] = created;
      node = created;
    }
  }
  const last = path.at(-1);
  if (last !== undefined) node[last] = value;
}

/** The task input the form's values describe, or the fields whose text is not even JSON. */
export function taskInputOf(fields: FormField[], values: FormValues): { input: unknown; issues: InputIssue[] } {
  const issues: InputIssue[] = [];
  const input: Record<string, unknown> = {};
  for (const field of fields) {
    const result = inputValueOf(field, values[field.name]);
    if ("issue" in result) {
      issues.push({ path: field.path, message: result.issue });
      continue;
    }
    if (field.path.length === 0) return { input: result.value, issues };
    if (result.value !== undefined) setAtPath(input, field.path, result.value);
  }
  return { input, issues };
}

/** The field an issue belongs to: the one whose path is the longest prefix of the issue's path. */
export function fieldForIssue(fields: FormField[], issuePath: readonly PropertyKey[]): FormField | undefined {
  let best: FormField | undefined;
  for (const field of fields) {
    const isPrefix = field.path.every((key, index) => String(issuePath[index]) === key);
    if (isPrefix && field.path.length <= issuePath.length && (!best || field.path.length > best.path.length))
      best = field;
  }
  return best;
}

/**
 * Issues as form errors keyed by field name, first issue per field. An issue deeper than its field
 * (inside a JSON field) names the rest of its path, so the reader knows which part is wrong.
 */
export function errorsByField(fields: FormField[], issues: InputIssue[]): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const issue of issues) {
    const field = fieldForIssue(fields, issue.path);
    const rest = issue.path.slice(field?.path.length ?? 0).map(String);
    const message = rest.length > 0 ? `${rest.join(".")}: ${issue.message}` : issue.message;
    const name = field?.name ?? formErrorName;
    errors[name] ??= message;
  }
  return errors;
}

/**
 * Validates in the browser with the task's own zod schema (or an event's payload schema), so the
 * form rejects exactly what the API would. Without a schema (a task this build does not bundle)
 * only the API validates.
 */
export function taskInputResolver(
  fields: FormField[],
  schema: z.ZodType | undefined,
): Resolver<FormValues, unknown, ResolvedTaskInput> {
  return (values): ResolverResult<FormValues, ResolvedTaskInput> => {
    const { input, issues } = taskInputOf(fields, values);
    const allIssues = issues.length > 0 || !schema ? issues : (schema.safeParse(input).error?.issues ?? []);
    if (allIssues.length === 0) return { values: { input }, errors: {} };
    const errors: FieldErrors<FormValues> = {};
    for (const [name, message] of Object.entries(errorsByField(fields, allIssues)))
      errors[name] = { type: "validate", message };
    return { values: {}, errors };
  };
}
