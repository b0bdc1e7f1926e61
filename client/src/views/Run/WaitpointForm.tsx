import { bundledEvents, type EventInfo, type RunStep } from "@conveyor/shared";
import { useId, useMemo } from "react";
import { useForm } from "react-hook-form";
import type { z } from "zod";
import { FormError } from "../../components/FormField";
import { ErrorBanner, Placeholder } from "../../components/Notice";
import { trpc } from "../../trpc";
import { FormFields } from "../Enqueue/FormFields";
import { fieldsOf, formFromSchema, valuesFromInput } from "../Enqueue/schemaFields";
import {
  errorsByField,
  type FormValues,
  formErrorName,
  type InputIssue,
  type ResolvedTaskInput,
  taskInputResolver,
} from "../Enqueue/taskInput";

/** The payload schemas this build bundles, to check a completion in the browser as the API will. */
const payloadSchemas: ReadonlyMap<string, z.ZodType> = new Map(
  bundledEvents.map((event): [string, z.ZodType] => [event.name, event.payload]),
);

/** The events the API accepts, with their payloads' JSON Schemas; they change only on a redeploy. */
function useEventDefinitions() {
  return trpc.events.definitions.useQuery(undefined, { staleTime: 60_000 });
}

interface CompletionFormProps {
  runId: string;
  step: RunStep;
  event: EventInfo;
}

function CompletionForm({ runId, step, event }: CompletionFormProps) {
  const nodes = useMemo(() => formFromSchema(event.payloadSchema), [event.payloadSchema]);
  const fields = useMemo(() => fieldsOf(nodes), [nodes]);
  const resolver = useMemo(() => taskInputResolver(fields, payloadSchemas.get(event.name)), [fields, event.name]);
  // The wait only takes payloads containing its match (the subject asked about): start from it.
  const form = useForm<FormValues, unknown, ResolvedTaskInput>({
    defaultValues: valuesFromInput(nodes, step.match ?? {}),
    resolver,
  });
  const { register, handleSubmit, formState, setError } = form;
  const idPrefix = useId();
  const utils = trpc.useUtils();

  /** The API names payload problems `output.<field>`: each goes to its field, the rest to the form. */
  const showIssues = (issues: readonly InputIssue[], message: string) => {
    const onOutput = issues
      .filter((issue) => issue.path[0] === "output")
      .map((issue) => ({ ...issue, path: issue.path.slice(1) }));
    const errors = errorsByField(fields, onOutput);
    const other = issues.find((issue) => issue.path[0] !== "output");
    if (other) errors[formErrorName] ??= `${other.path.join(".") || "request"}: ${other.message}`;
    if (issues.length === 0) errors[formErrorName] = message;
    for (const [name, text] of Object.entries(errors)) setError(name, { type: "server", message: text });
  };
  const complete = trpc.runs.complete.useMutation({
    onSuccess: () => {
      void utils.runs.steps.invalidate({ id: runId });
      void utils.runs.get.invalidate({ id: runId });
    },
    onError: (error) => showIssues(error.data?.issues ?? [], error.message),
  });
  const onSubmit = handleSubmit(({ input }) => complete.mutate({ id: runId, waitpoint: step.name, output: input }));

  return (
    <form
      className="task-form waitpoint-form"
      onSubmit={onSubmit}
      noValidate
      aria-label={`Complete step ${step.name}`}
      data-testid="waitpoint-form"
      data-step={step.name}
    >
      <p className="muted">{event.description}</p>
      <FormFields nodes={nodes} register={register} errors={formState.errors} idPrefix={idPrefix} />
      <FormError message={formState.errors[formErrorName]?.message} field={formErrorName} />
      {complete.data && !complete.data.resumed && (
        <p className="muted" data-testid="waitpoint-already-completed">
          This step had already been completed; nothing changed.
        </p>
      )}
      <div className="form-actions">
        <button
          type="submit"
          className="button-primary"
          disabled={complete.isPending || complete.isSuccess}
          aria-busy={complete.isPending}
        >
          Complete {step.name}
        </button>
      </div>
    </form>
  );
}

/**
 * Completes a `waitForEvent` step by hand: a form for the payload of the event it waits for,
 * built from that event's JSON Schema and checked with its zod schema where this build has it.
 */
export function WaitpointForm({ runId, step }: { runId: string; step: RunStep }) {
  const definitions = useEventDefinitions();
  const event = definitions.data?.find((candidate) => candidate.name === step.eventName);
  const titleId = useId();
  return (
    <section className="waitpoint" aria-labelledby={titleId}>
      <h3 id={titleId}>
        Complete “{step.name}” with a <code>{step.eventName}</code> payload
      </h3>
      {definitions.isPending && <Placeholder>Loading the event's form…</Placeholder>}
      {definitions.isError && <ErrorBanner title="Could not load the events." error={definitions.error} />}
      {definitions.data && !event && <Placeholder>This API does not know the event “{step.eventName}”.</Placeholder>}
      {event && <CompletionForm runId={runId} step={step} event={event} />}
    </section>
  );
}
