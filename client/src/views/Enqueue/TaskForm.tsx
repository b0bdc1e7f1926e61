import { bundledTasks, type TaskDefinition } from "@conveyor/shared";
import { useMemo } from "react";
import { useForm } from "react-hook-form";
import { useLocation } from "wouter";
import { ErrorBanner } from "../../components/Notice";
import { type RouterOutputs, trpc } from "../../trpc";
import { FormFields } from "./FormFields";
import { fieldsOf, formFromSchema, initialValuesOf } from "./schemaFields";
import { errorsByField, type FormValues, formErrorName, type TaskFormOutput, taskInputResolver } from "./taskInput";

type TaskInfo = RouterOutputs["tasks"]["list"][number];

const definitions: ReadonlyMap<string, TaskDefinition> = new Map(
  bundledTasks.map((definition): [string, TaskDefinition] => [definition.name, definition]),
);

/** A form for one task's input; a valid submit enqueues a run and opens it. */
export function TaskForm({ task }: { task: TaskInfo }) {
  const nodes = useMemo(() => formFromSchema(task.inputSchema), [task.inputSchema]);
  const fields = useMemo(() => fieldsOf(nodes), [nodes]);
  const resolver = useMemo(() => taskInputResolver(fields, definitions.get(task.name)), [fields, task.name]);
  const { register, handleSubmit, setError, formState } = useForm<FormValues, unknown, TaskFormOutput>({
    defaultValues: initialValuesOf(nodes),
    resolver,
  });
  const [, navigate] = useLocation();

  const enqueue = trpc.runs.enqueue.useMutation({
    onSuccess: (run) => navigate(`/runs/${run.id}`),
    onError: (error) => {
      // The API reports input issues under "input"; anything else (task, options) is the form's.
      const issues = error.data?.issues ?? [];
      const inputIssues = issues
        .filter((issue) => issue.path[0] === "input")
        .map((issue) => ({ path: issue.path.slice(1), message: issue.message }));
      for (const [name, message] of Object.entries(errorsByField(fields, inputIssues)))
        setError(name, { type: "server", message });
      const otherIssue = issues.find((issue) => issue.path[0] !== "input");
      if (otherIssue) {
        const where = otherIssue.path.join(".");
        setError(formErrorName, {
          type: "server",
          message: where ? `${where}: ${otherIssue.message}` : otherIssue.message,
        });
      }
    },
  });

  const onSubmit = handleSubmit(({ input }) => enqueue.mutate({ task: task.name, input }));
  const formError = formState.errors[formErrorName]?.message;
  const isInputRejected = (enqueue.error?.data?.issues?.length ?? 0) > 0;

  return (
    <form className="task-form" onSubmit={onSubmit} noValidate aria-label={`Input of ${task.name}`}>
      <FormFields nodes={nodes} register={register} errors={formState.errors} />
      {formError && (
        <div className="banner banner-error" role="alert" data-field={formErrorName}>
          {formError}
        </div>
      )}
      {enqueue.error && !isInputRejected && <ErrorBanner title="The run was not enqueued." error={enqueue.error} />}
      <div className="form-actions">
        <button type="submit" className="button-primary" disabled={enqueue.isPending} aria-busy={enqueue.isPending}>
          Enqueue
        </button>
      </div>
    </form>
  );
}
