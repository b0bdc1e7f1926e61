import {
  bundledTasks,
  type CreateScheduleInput,
  cronExpressionSchema,
  scheduleNameSchema,
  type TaskDefinition,
  timezoneSchema,
} from "@conveyor/shared";
import type { FieldErrors, Resolver, ResolverResult } from "react-hook-form";
import type { z } from "zod";
import type { FormField } from "../Enqueue/schemaFields";
import { errorsByField, type FormValues, formErrorName, type InputIssue, taskInputOf } from "../Enqueue/taskInput";

/*
 * The schedule form is one react-hook-form form: its own fields under fixed names, and the target
 * task's input fields under the names the enqueue form gives them (`f0`, `f1`, …), built from the
 * task's JSON Schema by the same code, so a schedule's input is entered exactly as a run's is.
 */

/** The schedule's own fields, by form name; the name is also the path the API reports issues at. */
export const scheduleFields = {
  name: "name",
  cron: "cron",
  timezone: "timezone",
  enabled: "enabled",
  task: "task",
} as const;

export type ScheduleFieldName = (typeof scheduleFields)[keyof typeof scheduleFields];

/** What a valid form submits. */
export type ScheduleFormOutput = Required<Pick<CreateScheduleInput, "name" | "cron" | "timezone" | "enabled">> & {
  /** Absent when the form leaves the target alone (a schedule that enqueues a flow). */
  target?: { kind: "task"; task: string; input: unknown };
};

const definitions: ReadonlyMap<string, TaskDefinition> = new Map(
  bundledTasks.map((definition): [string, TaskDefinition] => [definition.name, definition]),
);

function firstIssue(schema: z.ZodType, value: unknown): string | undefined {
  return schema.safeParse(value).error?.issues[0]?.message;
}

/**
 * Checks the schedule's fields by the shared schemas, and the input by the task's own schema when
 * this build bundles the task; the server checks the rest (that the expression parses, that the
 * timezone exists) and its answer is shown field by field too.
 */
export function scheduleResolver(
  fields: FormField[],
  hasTaskTarget: boolean,
): Resolver<FormValues, unknown, ScheduleFormOutput> {
  return (values): ResolverResult<FormValues, ScheduleFormOutput> => {
    const messages: Record<string, string> = {};
    const name = firstIssue(scheduleNameSchema, values.name);
    if (name) messages.name = name;
    const cron = firstIssue(cronExpressionSchema, values.cron);
    if (cron) messages.cron = cron;
    const timezone = firstIssue(timezoneSchema, values.timezone);
    if (timezone) messages.timezone = timezone;
    const task = typeof values.task === "string" ? values.task : "";
    if (hasTaskTarget && !task) messages.task = "choose the task to run";

    const { input, issues } = taskInputOf(fields, values);
    const definition = definitions.get(task);
    const inputIssues =
      issues.length > 0 || !definition ? issues : (definition.input.safeParse(input).error?.issues ?? []);
    if (hasTaskTarget) Object.assign(messages, errorsByField(fields, inputIssues));

    if (Object.keys(messages).length > 0) {
      const errors: FieldErrors<FormValues> = {};
      for (const [field, message] of Object.entries(messages)) errors[field] = { type: "validate", message };
      return { values: {}, errors };
    }
    return {
      values: {
        name: String(values.name).trim(),
        cron: String(values.cron).trim(),
        timezone: String(values.timezone).trim(),
        enabled: values.enabled === true,
        ...(hasTaskTarget ? { target: { kind: "task", task, input } } : {}),
      },
      errors: {},
    };
  };
}

/**
 * The API's issues as form errors by field name: `cron`, `timezone`, `name` are the schedule's
 * fields, `target.input.userId` the input field for `userId`; anything else is the form's.
 */
export function errorsFromApi(fields: FormField[], issues: readonly InputIssue[]): Record<string, string> {
  const errors: Record<string, string> = {};
  const inputIssues: InputIssue[] = [];
  const own = new Set<unknown>(Object.values(scheduleFields));
  for (const issue of issues) {
    const [head, next] = issue.path;
    if (head === "target" && next === "input") inputIssues.push({ path: issue.path.slice(2), message: issue.message });
    else if (head === "target" && next === "task") errors.task ??= issue.message;
    else if (own.has(head) && issue.path.length === 1) errors[String(head)] ??= issue.message;
    else errors[formErrorName] ??= issue.path.length > 0 ? `${issue.path.join(".")}: ${issue.message}` : issue.message;
  }
  return { ...errorsByField(fields, inputIssues), ...errors };
}

function valueAt(input: unknown, path: readonly string[]): unknown {
  let node = input;
  for (const key of path) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** The form values that show a stored input: the reverse of `taskInputOf`. */
export function formValuesOfInput(fields: FormField[], input: unknown): FormValues {
  const values: FormValues = {};
  for (const field of fields) {
    const value = valueAt(input, field.path);
    if (value === undefined) {
      values[field.name] = field.initialValue;
      continue;
    }
    switch (field.kind) {
      case "number":
      case "integer":
        values[field.name] = typeof value === "number" ? value : "";
        break;
      case "boolean":
        values[field.name] = value === true;
        break;
      case "json":
        values[field.name] = JSON.stringify(value, null, 2);
        break;
      default:
        values[field.name] = String(value);
    }
  }
  return values;
}
