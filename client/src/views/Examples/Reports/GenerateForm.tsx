import { reportGenerate, type TaskInput } from "@conveyor/shared";
import { useForm } from "react-hook-form";
import { FormField } from "../../../components/FormField";
import { trpc } from "../../../trpc";
import { ExampleForm } from "../ExampleForm";
import { showApiError, zodResolver } from "../zodForm";

type GenerateInput = TaskInput<typeof reportGenerate>;

const fields = ["userId", "failureRate", "version"] as const;

/** What the task uses when the field is left empty: the schema's own default. */
const defaultFailureRate = reportGenerate.input.shape.failureRate.parse(undefined);

/** Enqueues `report.generate`, validated in the browser with the task's own input schema. */
export function GenerateForm({ onEnqueued }: { onEnqueued: (runId: string) => void }) {
  const { register, handleSubmit, setError, formState } = useForm<
    GenerateInput,
    unknown,
    ReturnType<typeof reportGenerate.input.parse>
  >({ resolver: zodResolver(reportGenerate.input) });
  const enqueue = trpc.runs.enqueue.useMutation({
    onSuccess: (run) => onEnqueued(run.id),
    onError: (error) => showApiError(error, setError, fields, ["input"]),
  });
  const { errors } = formState;
  const number = { valueAsNumber: true } as const;

  return (
    <ExampleForm
      id="generate"
      title="Generate a report"
      submitLabel="Generate"
      isPending={enqueue.isPending}
      onSubmit={handleSubmit((input) => enqueue.mutate({ task: reportGenerate.name, input }))}
      error={errors.root?.server?.message}
    >
      <div className="example-fields">
        <FormField form="generate" name="userId" label="User id" hint="required" error={errors.userId?.message}>
          {(control) => <input {...control} {...register("userId", number)} type="number" min={1} step={1} />}
        </FormField>
        <FormField
          form="generate"
          name="failureRate"
          label="Failure rate"
          hint={`0 to 1, the chance a step fails; default ${defaultFailureRate}`}
          error={errors.failureRate?.message}
        >
          {(control) => (
            <input
              {...control}
              {...register("failureRate", number)}
              type="number"
              min={0}
              max={1}
              step="any"
              placeholder={String(defaultFailureRate)}
            />
          )}
        </FormField>
        <FormField
          form="generate"
          name="version"
          label="Version"
          hint="one report per user and version; default 1"
          error={errors.version?.message}
        >
          {(control) => (
            <input {...control} {...register("version", number)} type="number" min={1} step={1} placeholder="1" />
          )}
        </FormField>
      </div>
    </ExampleForm>
  );
}
