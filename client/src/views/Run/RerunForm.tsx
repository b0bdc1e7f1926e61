import type { TaskInfo } from "@conveyor/shared";
import { useId } from "react";
import { useLocation } from "wouter";
import { FormError } from "../../components/FormField";
import { ErrorBanner, Placeholder } from "../../components/Notice";
import { type RouterOutputs, trpc } from "../../trpc";
import { useTasks } from "../../useTasks";
import { FormFields } from "../Enqueue/FormFields";
import { formErrorName } from "../Enqueue/taskInput";
import { useTaskInputForm } from "../Enqueue/useTaskInputForm";

type Run = RouterOutputs["runs"]["get"];

function TaskRerunForm({ run, task, onClose }: { run: Run; task: TaskInfo; onClose: () => void }) {
  const { nodes, form, showIssues } = useTaskInputForm(task, { initialInput: run.input });
  const { register, handleSubmit, formState } = form;
  const idPrefix = useId();
  const [, navigate] = useLocation();
  const rerun = trpc.runs.rerun.useMutation({
    onSuccess: (created) => navigate(`/runs/${created.id}`),
    onError: (error) => showIssues(error.data?.issues ?? []),
  });
  const onSubmit = handleSubmit(({ input }) => rerun.mutate({ id: run.id, input }));
  const formError = formState.errors[formErrorName]?.message;
  const isInputRejected = (rerun.error?.data?.issues?.length ?? 0) > 0;
  return (
    <form className="task-form" onSubmit={onSubmit} noValidate aria-label={`Input of the re-run of ${task.name}`}>
      <FormFields nodes={nodes} register={register} errors={formState.errors} idPrefix={idPrefix} />
      <FormError message={formError} field={formErrorName} />
      {rerun.error && !isInputRejected && <ErrorBanner title="The run was not re-run." error={rerun.error} />}
      <div className="form-actions">
        <button type="submit" className="button-primary" disabled={rerun.isPending} aria-busy={rerun.isPending}>
          Enqueue re-run
        </button>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
    </form>
  );
}

/**
 * A new run of the same task and options, linked to this one, with the input as the reader edits
 * it: the task's own form, prefilled with this run's input and checked with the task's schema.
 */
export function RerunForm({ run, onClose }: { run: Run; onClose: () => void }) {
  const tasks = useTasks();
  const task = tasks.data?.find((candidate) => candidate.name === run.task);
  return (
    <section className="card" id="rerun-form" aria-labelledby="rerun-title" data-testid="rerun-form">
      <h2 id="rerun-title">Re-run with this input</h2>
      <p className="muted">A new run of {run.task}, with this run's options and the input below.</p>
      {tasks.isPending && <Placeholder>Loading the task's form…</Placeholder>}
      {tasks.isError && <ErrorBanner title="Could not load the tasks." error={tasks.error} />}
      {tasks.data && !task && <Placeholder>This API no longer has a task named “{run.task}”.</Placeholder>}
      {task && <TaskRerunForm run={run} task={task} onClose={onClose} />}
    </section>
  );
}
