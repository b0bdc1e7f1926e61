import { type ChainInput, chainInputSchema, type GroupInput, groupInputSchema, type TaskInfo } from "@conveyor/shared";
import { type FormEvent, useId, useRef, useState } from "react";
import { useLocation } from "wouter";
import { ErrorBanner, Placeholder } from "../../components/Notice";
import { RequireRole } from "../../components/RequireRole";
import { trpc } from "../../trpc";
import { useTasks } from "../../useTasks";
import { EnqueueNotAllowed, EnqueueTabs } from "./EnqueueView";
import { type FlowStepDraft, FlowStepEditor, type StepInputHandle } from "./FlowStepEditor";
import type { InputIssue } from "./taskInput";
import "./enqueue.css";

type FlowKind = "chain" | "group";

const kinds: { value: FlowKind; label: string; description: string }[] = [
  { value: "chain", label: "Chain", description: "Steps run one after another; a step may take the previous output." },
  { value: "group", label: "Group", description: "Members run in parallel; a callback may follow them all (a chord)." },
];

interface CallbackDraft {
  isEnabled: boolean;
  task: string;
  /** JSON merged with `{ results }`, the members' outputs in order. */
  extraInput: string;
}

/** A flow as the API takes it, or the problems that keep it from being sent. */
type FlowRequest = { kind: "chain"; payload: ChainInput } | { kind: "group"; payload: GroupInput };

function parseExtraInput(text: string): { value: Record<string, unknown> | undefined } | { error: string } {
  if (text.trim() === "") return { value: undefined };
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== "object" || value === null || Array.isArray(value)) return { error: "Give a JSON object." };
    return { value: value as Record<string, unknown> };
  } catch (error) {
    return { error: `Invalid JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
}

function FlowBuilder({ tasks }: { tasks: TaskInfo[] }) {
  const id = useId();
  const [, navigate] = useLocation();
  const [kind, setKind] = useState<FlowKind>("chain");
  const nextKey = useRef(2);
  const [steps, setSteps] = useState<FlowStepDraft[]>([
    { key: 0, task: "", usesPreviousOutput: false },
    { key: 1, task: "", usesPreviousOutput: true },
  ]);
  const [callback, setCallback] = useState<CallbackDraft>({ isEnabled: false, task: "", extraInput: "{}" });
  const [taskErrors, setTaskErrors] = useState<Record<number, string>>({});
  const [callbackError, setCallbackError] = useState<string | undefined>();
  const [formErrors, setFormErrors] = useState<string[]>([]);
  const handles = useRef(new Map<number, StepInputHandle>());
  const [isCollecting, setIsCollecting] = useState(false);

  const onFlowSuccess = (flow: { id: string }) => navigate(`/flows/${flow.id}`);
  /** Issues on a step go to its form; the rest are listed above the buttons. */
  const onFlowError = (issues: readonly InputIssue[], message: string) => {
    const others: string[] = [];
    for (const issue of issues) {
      const [root, index, ...rest] = issue.path;
      const step = (root === "steps" || root === "members") && typeof index === "number" ? steps[index] : undefined;
      const handle = step && handles.current.get(step.key);
      if (handle && rest[0] === "input") handle.showIssues([{ path: rest, message: issue.message }]);
      else others.push(`${issue.path.join(".") || "flow"}: ${issue.message}`);
    }
    setFormErrors(issues.length > 0 ? others : [message]);
  };
  const chain = trpc.flows.chain.useMutation({
    onSuccess: onFlowSuccess,
    onError: (error) => onFlowError(error.data?.issues ?? [], error.message),
  });
  const group = trpc.flows.group.useMutation({
    onSuccess: onFlowSuccess,
    onError: (error) => onFlowError(error.data?.issues ?? [], error.message),
  });
  const isPending = isCollecting || chain.isPending || group.isPending;

  const isPiped = (step: FlowStepDraft, index: number) => kind === "chain" && index > 0 && step.usesPreviousOutput;
  const updateStep = (next: FlowStepDraft) =>
    setSteps((current) => current.map((step) => (step.key === next.key ? next : step)));
  const addStep = () => {
    const key = nextKey.current++;
    setSteps((current) => [...current, { key, task: current.at(-1)?.task ?? "", usesPreviousOutput: true }]);
  };
  const removeStep = (key: number) => setSteps((current) => current.filter((step) => step.key !== key));

  /** Reads every step's form (each shows its own problems) and builds the request, checked as the API will. */
  const buildRequest = async (): Promise<FlowRequest | undefined> => {
    const missingTasks = Object.fromEntries(
      steps.filter((step) => step.task === "").map((step) => [step.key, "Choose a task."]),
    );
    setTaskErrors(missingTasks);
    const inputs = await Promise.all(
      steps.map(async (step, index) => {
        if (isPiped(step, index)) return { input: undefined };
        return handles.current.get(step.key)?.collect();
      }),
    );
    let extra: Record<string, unknown> | undefined;
    let callbackProblem: string | undefined;
    if (kind === "group" && callback.isEnabled) {
      const parsed = parseExtraInput(callback.extraInput);
      if ("error" in parsed) callbackProblem = parsed.error;
      else extra = parsed.value;
      if (callback.task === "") callbackProblem = "Choose the callback's task.";
    }
    setCallbackError(callbackProblem);
    const isStepInvalid = inputs.some((input) => input === undefined);
    if (Object.keys(missingTasks).length > 0 || isStepInvalid || callbackProblem) return undefined;

    const request: FlowRequest =
      kind === "chain"
        ? {
            kind,
            payload: {
              steps: steps.map((step, index) => ({
                task: step.task,
                ...(isPiped(step, index) ? {} : { input: inputs[index]?.input }),
              })),
            },
          }
        : {
            kind,
            payload: {
              members: steps.map((step, index) => ({ task: step.task, input: inputs[index]?.input })),
              ...(callback.isEnabled && { callback: { task: callback.task, ...(extra && { input: extra }) } }),
            },
          };
    // The API's own schema: catches what no single field shows (a chain whose first step has no input).
    const checked =
      request.kind === "chain"
        ? chainInputSchema.safeParse(request.payload)
        : groupInputSchema.safeParse(request.payload);
    if (!checked.success) {
      onFlowError(checked.error.issues, checked.error.message);
      return undefined;
    }
    return request;
  };

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setFormErrors([]);
    setIsCollecting(true);
    try {
      const request = await buildRequest();
      if (!request) return;
      if (request.kind === "chain") chain.mutate(request.payload);
      else group.mutate(request.payload);
    } finally {
      setIsCollecting(false);
    }
  };

  const noun = kind === "chain" ? "Step" : "Member";
  return (
    <form className="flow-builder" onSubmit={onSubmit} noValidate aria-label="Flow to enqueue">
      <fieldset className="flow-kind">
        <legend>Kind</legend>
        {kinds.map((choice) => (
          <div key={choice.value} className="field-inline">
            <input
              type="radio"
              id={`${id}-${choice.value}`}
              name={`${id}-kind`}
              value={choice.value}
              checked={kind === choice.value}
              onChange={() => setKind(choice.value)}
            />
            <label htmlFor={`${id}-${choice.value}`}>
              <strong>{choice.label}</strong> <span className="muted">{choice.description}</span>
            </label>
          </div>
        ))}
      </fieldset>

      {steps.map((step, index) => (
        <FlowStepEditor
          key={step.key}
          step={step}
          title={`${noun} ${index + 1}`}
          tasks={tasks}
          canUsePrevious={kind === "chain" && index > 0}
          canRemove={steps.length > 1}
          taskError={taskErrors[step.key]}
          onChange={updateStep}
          onRemove={() => removeStep(step.key)}
          onReady={(handle) => {
            if (handle) handles.current.set(step.key, handle);
            else handles.current.delete(step.key);
          }}
        />
      ))}
      <div className="form-actions">
        <button type="button" onClick={addStep}>
          Add {noun.toLowerCase()}
        </button>
      </div>

      {kind === "group" && (
        <fieldset className="flow-step" data-testid="flow-callback">
          <legend>Callback</legend>
          <div className="field-inline">
            <input
              id={`${id}-callback`}
              type="checkbox"
              checked={callback.isEnabled}
              onChange={(event) => setCallback({ ...callback, isEnabled: event.target.checked })}
            />
            <label htmlFor={`${id}-callback`}>Run a callback once every member succeeded (a chord)</label>
          </div>
          {callback.isEnabled && (
            <>
              <div className="field">
                <label htmlFor={`${id}-callback-task`} className="field-label">
                  Callback task
                </label>
                <select
                  id={`${id}-callback-task`}
                  value={callback.task}
                  onChange={(event) => setCallback({ ...callback, task: event.target.value })}
                >
                  <option value="">Choose a task…</option>
                  {tasks.map((candidate) => (
                    <option key={candidate.name} value={candidate.name}>
                      {candidate.name}
                    </option>
                  ))}
                </select>
              </div>
              <div className="field">
                <label htmlFor={`${id}-callback-input`} className="field-label">
                  Callback input
                </label>
                <textarea
                  id={`${id}-callback-input`}
                  className="code"
                  rows={3}
                  spellCheck={false}
                  value={callback.extraInput}
                  aria-invalid={callbackError ? true : undefined}
                  aria-describedby={`${id}-callback-hint`}
                  onChange={(event) => setCallback({ ...callback, extraInput: event.target.value })}
                />
                <p id={`${id}-callback-hint`} className="field-hint">
                  JSON object · merged with {"{ results }"}, the members' outputs in order
                </p>
              </div>
              {callbackError && (
                <p className="field-error" role="alert">
                  {callbackError}
                </p>
              )}
            </>
          )}
        </fieldset>
      )}

      {formErrors.length > 0 && (
        <div className="banner banner-error" role="alert" data-testid="flow-errors">
          <strong>The flow was not enqueued.</strong>
          {formErrors.map((message) => (
            <span key={message} className="banner-detail">
              {message}
            </span>
          ))}
        </div>
      )}
      <div className="form-actions">
        <button type="submit" className="button-primary" disabled={isPending} aria-busy={isPending}>
          Enqueue {kind}
        </button>
      </div>
    </form>
  );
}

function FlowChooser() {
  const tasks = useTasks();
  return (
    <div className="enqueue">
      <h1>Enqueue a flow</h1>
      <EnqueueTabs current="flow" />
      {tasks.isPending && <Placeholder>Loading tasks…</Placeholder>}
      {tasks.isError && <ErrorBanner title="Could not load the tasks." error={tasks.error} />}
      {tasks.data?.length === 0 && <Placeholder>This API has no tasks.</Placeholder>}
      {tasks.data && tasks.data.length > 0 && <FlowBuilder tasks={tasks.data} />}
    </div>
  );
}

/** Build a chain or a group (optionally a chord) from the tasks' forms; operators and admins only. */
export function FlowBuilderView() {
  return (
    <RequireRole atLeast="operator" fallback={<EnqueueNotAllowed />}>
      <FlowChooser />
    </RequireRole>
  );
}
