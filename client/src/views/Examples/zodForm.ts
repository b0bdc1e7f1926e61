import type { AppRouter } from "@conveyor/server";
import type { TRPCClientErrorLike } from "@trpc/client";
import type { FieldError, FieldErrors, FieldValues, Path, Resolver, UseFormSetError } from "react-hook-form";
import type { z } from "zod";

/** Where a form keeps an error that belongs to no one field. */
const formErrorName = "root.server";

/** An empty number input reads as NaN (`valueAsNumber`); to the schema that is "not given". */
function withoutEmptyNumbers(values: FieldValues): FieldValues {
  return Object.fromEntries(
    Object.entries(values).map(([name, value]) => [name, Number.isNaN(value) ? undefined : value]),
  );
}

/**
 * Validates a form in the browser with the API's own zod schema, so it refuses exactly what the
 * API would; each issue goes to the field its path starts with, the first issue per field.
 */
export function zodResolver<Values extends FieldValues, Output>(
  schema: z.ZodType<Output>,
): Resolver<Values, unknown, Output> {
  return (values) => {
    const result = schema.safeParse(withoutEmptyNumbers(values));
    if (result.success) return { values: result.data, errors: {} };
    const errors: Record<string, FieldError> = {};
    for (const issue of result.error.issues) {
      const [field] = issue.path;
      errors[typeof field === "string" ? field : "root"] ??= { type: issue.code, message: issue.message };
    }
    return { values: {}, errors: errors as FieldErrors<Values> };
  };
}

/**
 * Puts the API's input issues on the fields they name (their path after `prefix`, e.g. `["input"]`
 * for `runs.enqueue`), and any other problem on the form as a whole.
 */
export function showApiError<Values extends FieldValues>(
  error: TRPCClientErrorLike<AppRouter>,
  setError: UseFormSetError<Values>,
  fields: readonly Path<Values>[],
  prefix: readonly string[] = [],
): void {
  const issues = error.data?.issues ?? [];
  const unplaced: string[] = [];
  for (const issue of issues) {
    const isUnderPrefix = prefix.every((key, index) => issue.path[index] === key);
    const field = fields.find((name) => isUnderPrefix && issue.path[prefix.length] === name);
    if (field) setError(field, { type: "server", message: issue.message });
    else unplaced.push(issue.path.length > 0 ? `${issue.path.join(".")}: ${issue.message}` : issue.message);
  }
  if (issues.length === 0) unplaced.push(error.message);
  if (unplaced.length > 0) setError(formErrorName as Path<Values>, { type: "server", message: unplaced.join("; ") });
}
