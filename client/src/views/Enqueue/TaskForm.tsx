import type { TaskInfo } from "@conveyor/shared";
import { useId } from "react";
import { useLocation } from "wouter";
import { FormError } from "../../components/FormField";
import { ErrorBanner } from "../../components/Notice";
import { trpc } from "../../trpc";
import { optionFieldNames } from "./enqueueOptions";
import { FormFields } from "./FormFields";
import { OptionsFields } from "./OptionsFields";
import { formErrorName } from "./taskInput";
import { useTaskInputForm } from "./useTaskInputForm";

/** A form for one task's input and enqueue options; a valid submit enqueues a run and opens it. */
export function TaskForm({ task }: { task: TaskInfo }) {
  const { nodes, form, showIssues } = useTaskInputForm(task, { withOptions: true });
  const { register, handleSubmit, formState, watch } = form;
  const idPrefix = useId();
  const [, navigate] = useLocation();

  const enqueue = trpc.runs.enqueue.useMutation({
    // With an idempotency key that is still live, this is the run that holds it.
    onSuccess: (run) => navigate(`/runs/${run.id}`),
    onError: (error) => showIssues(error.data?.issues ?? []),
  });

  const onSubmit = handleSubmit(({ input, options }) =>
    enqueue.mutate({ task: task.name, input, ...(options && { options }) }),
  );
  const formError = formState.errors[formErrorName]?.message;
  const isInputRejected = (enqueue.error?.data?.issues?.length ?? 0) > 0;

  return (
    <form className="task-form" onSubmit={onSubmit} noValidate aria-label={`Input of ${task.name}`}>
      <FormFields nodes={nodes} register={register} errors={formState.errors} idPrefix={`${idPrefix}-input`} />
      <OptionsFields
        register={register}
        errors={formState.errors}
        start={String(watch(optionFieldNames.start))}
        idPrefix={`${idPrefix}-option`}
        defaults={task.defaults}
      />
      <FormError message={formError} field={formErrorName} />
      {enqueue.error && !isInputRejected && <ErrorBanner title="The run was not enqueued." error={enqueue.error} />}
      <div className="form-actions">
        <button type="submit" className="button-primary" disabled={enqueue.isPending} aria-busy={enqueue.isPending}>
          Enqueue
        </button>
      </div>
    </form>
  );
}
