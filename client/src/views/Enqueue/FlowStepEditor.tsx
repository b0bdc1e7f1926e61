import type { TaskInfo } from "@conveyor/shared";
import { useEffect, useId } from "react";
import { FormError } from "../../components/FormField";
import { FormFields } from "./FormFields";
import { formErrorName, type InputIssue } from "./taskInput";
import { useTaskInputForm } from "./useTaskInputForm";

/** What the flow form asks of each step's input form when it submits. */
export interface StepInputHandle {
  /** Validates the step's input; `undefined` when it is invalid (its fields then say why). */
  collect: () => Promise<{ input: unknown } | undefined>;
  /** Shows the API's issues for this step; paths start at the step (`input…`). */
  showIssues: (issues: readonly InputIssue[]) => void;
}

/** One step's input, as the task's own form; it hands the flow form a way to read it. */
function StepInputForm({ task, onReady }: { task: TaskInfo; onReady: (handle: StepInputHandle | null) => void }) {
  const { nodes, form, showIssues } = useTaskInputForm(task);
  const { register, handleSubmit, formState } = form;
  const idPrefix = useId();

  useEffect(() => {
    onReady({
      collect: () =>
        new Promise((resolve) => {
          void handleSubmit(
            ({ input }) => resolve({ input }),
            () => resolve(undefined),
          )();
        }),
      showIssues,
    });
    return () => onReady(null);
  });

  const formError = formState.errors[formErrorName]?.message;
  return (
    <div className="flow-step-input">
      <FormFields nodes={nodes} register={register} errors={formState.errors} idPrefix={idPrefix} />
      <FormError message={formError} field={formErrorName} />
    </div>
  );
}

export interface FlowStepDraft {
  /** Stable across edits, so each step keeps its own form. */
  key: number;
  task: string;
  /** Chain steps after the first: take the previous step's output as input. */
  usesPreviousOutput: boolean;
}

interface FlowStepEditorProps {
  step: FlowStepDraft;
  /** "Step 2" or "Member 2". */
  title: string;
  tasks: TaskInfo[];
  /** Whether the step may take the previous step's output (a chain step after the first). */
  canUsePrevious: boolean;
  canRemove: boolean;
  taskError: string | undefined;
  onChange: (step: FlowStepDraft) => void;
  onRemove: () => void;
  onReady: (handle: StepInputHandle | null) => void;
}

/** A step of a chain or a member of a group: its task, and its input or the previous output. */
export function FlowStepEditor(props: FlowStepEditorProps) {
  const { step, title, tasks, canUsePrevious, canRemove, taskError, onChange, onRemove, onReady } = props;
  const id = useId();
  const task = tasks.find((candidate) => candidate.name === step.task);
  const isPiped = canUsePrevious && step.usesPreviousOutput;
  return (
    <fieldset className="flow-step" data-testid="flow-step">
      <legend>{title}</legend>
      <div className="flow-step-head">
        <div className="field">
          <label htmlFor={`${id}-task`} className="field-label">
            Task
          </label>
          <select
            id={`${id}-task`}
            value={step.task}
            aria-invalid={taskError ? true : undefined}
            aria-describedby={taskError ? `${id}-task-error` : undefined}
            onChange={(event) => onChange({ ...step, task: event.target.value })}
          >
            <option value="">Choose a task…</option>
            {tasks.map((candidate) => (
              <option key={candidate.name} value={candidate.name}>
                {candidate.name}
              </option>
            ))}
          </select>
          {taskError && (
            <p id={`${id}-task-error`} className="field-error" role="alert">
              {taskError}
            </p>
          )}
        </div>
        {canRemove && (
          <button
            type="button"
            className="button-small"
            onClick={onRemove}
            aria-label={`Remove ${title.toLowerCase()}`}
          >
            Remove
          </button>
        )}
      </div>
      {canUsePrevious && (
        <div className="field-inline flow-step-pipe">
          <input
            id={`${id}-previous`}
            type="checkbox"
            checked={step.usesPreviousOutput}
            onChange={(event) => onChange({ ...step, usesPreviousOutput: event.target.checked })}
          />
          <label htmlFor={`${id}-previous`}>Use the previous step's output as input</label>
        </div>
      )}
      {task && !isPiped && <StepInputForm key={task.name} task={task} onReady={onReady} />}
      {task && isPiped && <p className="muted">This step receives the previous step's output.</p>}
    </fieldset>
  );
}
