import { bundledTasks, type EnqueueOptions, type TaskDefinition, type TaskInfo } from "@conveyor/shared";
import { useMemo } from "react";
import { type FieldErrors, type Resolver, type ResolverResult, useForm } from "react-hook-form";
import { enqueueOptionsOf, initialOptionValues, optionErrorsOf } from "./enqueueOptions";
import { fieldsOf, formFromSchema, initialValuesOf, valuesFromInput } from "./schemaFields";
import { errorsByField, type FormValues, formErrorName, type InputIssue, taskInputResolver } from "./taskInput";

const definitions: ReadonlyMap<string, TaskDefinition> = new Map(
  bundledTasks.map((definition): [string, TaskDefinition] => [definition.name, definition]),
);

/** What a valid form submits: the task input, and the enqueue options when the form has them. */
interface TaskFormOutput {
  input: unknown;
  options: EnqueueOptions | undefined;
}

interface TaskInputFormSettings {
  /** An input to start from (a run being re-run) instead of the schema's defaults. */
  initialInput?: unknown;
  /** Adds the enqueue options (queue, priority, delay, …) to the form. */
  withOptions?: boolean;
}

/**
 * The form for one task's input: fields from the task's JSON schema, checked in the browser with
 * its zod schema (and the options with `enqueueOptionsSchema`), so the form refuses what the API
 * would. Shared by the enqueue form, a flow's steps and the re-run form.
 */
export function useTaskInputForm(task: TaskInfo, { initialInput, withOptions = false }: TaskInputFormSettings = {}) {
  const nodes = useMemo(() => formFromSchema(task.inputSchema), [task.inputSchema]);
  const fields = useMemo(() => fieldsOf(nodes), [nodes]);
  const resolver = useMemo((): Resolver<FormValues, unknown, TaskFormOutput> => {
    const inputResolver = taskInputResolver(fields, definitions.get(task.name)?.input);
    return async (values, context, options): Promise<ResolverResult<FormValues, TaskFormOutput>> => {
      const inputResult = await inputResolver(values, context, options);
      const optionsResult = withOptions ? enqueueOptionsOf(values) : { options: undefined };
      const errors: FieldErrors<FormValues> = { ...inputResult.errors };
      if ("errors" in optionsResult)
        for (const [name, message] of Object.entries(optionsResult.errors))
          errors[name] = { type: "validate", message };
      if (Object.keys(errors).length > 0 || !("input" in inputResult.values) || !("options" in optionsResult))
        return { values: {}, errors };
      return { values: { input: inputResult.values.input, options: optionsResult.options }, errors: {} };
    };
  }, [fields, task.name, withOptions]);

  const form = useForm<FormValues, unknown, TaskFormOutput>({
    defaultValues: {
      ...(initialInput === undefined ? initialValuesOf(nodes) : valuesFromInput(nodes, initialInput)),
      ...(withOptions ? initialOptionValues : {}),
    },
    resolver,
  });

  /**
   * Shows the API's issues on their fields. Paths are relative to the enqueued item: `input…`
   * belongs to an input field, `options…` to an option; anything else is the form's.
   */
  const showIssues = (issues: readonly InputIssue[]) => {
    const relative = (root: string) =>
      issues.filter((issue) => issue.path[0] === root).map((issue) => ({ ...issue, path: issue.path.slice(1) }));
    const errors = {
      ...errorsByField(fields, relative("input")),
      ...(withOptions ? optionErrorsOf(relative("options")) : {}),
    };
    const other = issues.find((issue) => issue.path[0] !== "input" && (!withOptions || issue.path[0] !== "options"));
    if (other) {
      const where = other.path.join(".");
      errors[formErrorName] ??= where ? `${where}: ${other.message}` : other.message;
    }
    for (const [name, message] of Object.entries(errors)) form.setError(name, { type: "server", message });
  };

  return { nodes, fields, form, showIssues };
}
