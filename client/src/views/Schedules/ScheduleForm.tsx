import type { TaskInfo } from "@conveyor/shared";
import { keepPreviousData } from "@tanstack/react-query";
import { useEffect, useMemo, useRef, useState } from "react";
import { type FieldErrors, type Resolver, useForm, useWatch } from "react-hook-form";
import { useLocation } from "wouter";
import { FormError, FormField } from "../../components/FormField";
import { JsonBlock } from "../../components/JsonBlock";
import { ErrorBanner } from "../../components/Notice";
import { type RouterOutputs, trpc } from "../../trpc";
import { FormFields } from "../Enqueue/FormFields";
import { fieldsOf, formFromSchema, initialValuesOf } from "../Enqueue/schemaFields";
import { type FormValues, formErrorName, type InputIssue } from "../Enqueue/taskInput";
import { FireTime } from "./FireTime";
import {
  errorsFromApi,
  formValuesOfInput,
  type ScheduleFieldName,
  type ScheduleFormOutput,
  scheduleResolver,
} from "./scheduleForm";

type Schedule = RouterOutputs["schedules"]["get"];

/** How long typing must pause before the expression is sent for a preview. */
const previewDebounceMs = 300;
const previewCount = 5;

/** Every IANA timezone this browser knows, offered as suggestions; the server has the last word. */
const timezones: readonly string[] = Intl.supportedValuesOf?.("timeZone") ?? [];

function useDebounced<T>(value: T, delayMs: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), delayMs);
    return () => clearTimeout(timer);
  }, [value, delayMs]);
  return debounced;
}

interface PreviewState {
  description: string | undefined;
  next: Date[] | undefined;
  timezone: string;
  isPending: boolean;
  isStale: boolean;
  hasError: boolean;
}

/** The expression in words and its next fire times, as the server computes them. */
function SchedulePreview({ description, next, timezone, isPending, isStale, hasError }: PreviewState) {
  return (
    <section className="schedule-preview" aria-labelledby="schedule-preview-title" aria-busy={isStale}>
      <h3 id="schedule-preview-title">Next {previewCount} fire times</h3>
      {hasError && <p className="muted">No preview until the expression and timezone are valid.</p>}
      {!hasError && isPending && <p className="muted">Type an expression to see when it fires.</p>}
      {!hasError && description && (
        <p className="schedule-description" data-testid="schedule-description">
          {description}
        </p>
      )}
      {!hasError && next && (
        <ol className={isStale ? "schedule-times is-stale" : "schedule-times"} data-testid="schedule-preview">
          {next.map((date) => (
            <li key={date.toISOString()}>
              <FireTime date={date} timezone={timezone} isRelative />
            </li>
          ))}
        </ol>
      )}
      {!hasError && next?.length === 0 && <p className="muted">This expression never fires again.</p>}
    </section>
  );
}

function initialValues(tasks: TaskInfo[], schedule: Schedule | undefined): FormValues {
  if (!schedule) return { name: "", cron: "", timezone: "UTC", enabled: true, task: "" };
  const own = {
    name: schedule.name,
    cron: schedule.cron,
    timezone: schedule.timezone,
    enabled: schedule.enabled,
  };
  if (schedule.target.kind !== "task") return { ...own, task: "" };
  const { task, input } = schedule.target;
  const info = tasks.find((candidate) => candidate.name === task);
  const fields = info ? fieldsOf(formFromSchema(info.inputSchema)) : [];
  return { ...own, task, ...formValuesOfInput(fields, input) };
}

interface ScheduleFormProps {
  tasks: TaskInfo[];
  /** The schedule to edit; a new one is made without it. */
  schedule?: Schedule;
}

/** Creates or edits a schedule, previewing the expression as it is typed. Admins only. */
export function ScheduleForm({ tasks, schedule }: ScheduleFormProps) {
  const hasTaskTarget = !schedule || schedule.target.kind === "task";
  const [defaultValues] = useState(() => initialValues(tasks, schedule));

  // The resolver follows the chosen task's fields; the form keeps one resolver that asks the latest.
  const latestResolver = useRef<Resolver<FormValues, unknown, ScheduleFormOutput>>(scheduleResolver([], false));
  const form = useForm<FormValues, unknown, ScheduleFormOutput>({
    defaultValues,
    resolver: (values, context, options) => latestResolver.current(values, context, options),
  });
  const { register, handleSubmit, setError, setValue, control, formState } = form;

  const taskName = String(useWatch({ control, name: "task" }) ?? "");
  const task = tasks.find((candidate) => candidate.name === taskName);
  const nodes = useMemo(() => (task ? formFromSchema(task.inputSchema) : []), [task]);
  const fields = useMemo(() => fieldsOf(nodes), [nodes]);
  useEffect(() => {
    latestResolver.current = scheduleResolver(fields, hasTaskTarget);
  }, [fields, hasTaskTarget]);

  const cron = String(useWatch({ control, name: "cron" }) ?? "");
  const timezone = String(useWatch({ control, name: "timezone" }) ?? "");
  const previewInput = useDebounced({ cron: cron.trim(), timezone: timezone.trim() || "UTC" }, previewDebounceMs);
  const preview = trpc.schedules.preview.useQuery(
    { ...previewInput, count: previewCount },
    { enabled: previewInput.cron !== "", placeholderData: keepPreviousData, retry: false, staleTime: 30_000 },
  );
  // The preview's complaints about the expression or timezone show by those fields while typing.
  const previewErrors = errorsFromApi([], preview.error?.data?.issues ?? []);

  const utils = trpc.useUtils();
  const [, navigate] = useLocation();
  const onSaved = (saved: Schedule) => {
    utils.schedules.get.setData({ id: saved.id }, saved);
    void utils.schedules.list.invalidate();
    navigate(`/schedules/${saved.id}`);
  };
  const onRejected = (issues: readonly InputIssue[] | null | undefined) => {
    for (const [name, message] of Object.entries(errorsFromApi(fields, issues ?? [])))
      setError(name, { type: "server", message });
  };
  const create = trpc.schedules.create.useMutation({
    onSuccess: onSaved,
    onError: (error) => onRejected(error.data?.issues),
  });
  const update = trpc.schedules.update.useMutation({
    onSuccess: onSaved,
    onError: (error) => onRejected(error.data?.issues),
  });
  const save = schedule ? update : create;

  const onSubmit = handleSubmit(({ target, ...own }) => {
    if (schedule) update.mutate({ id: schedule.id, ...own, ...(target ? { target } : {}) });
    else if (target) create.mutate({ ...own, target });
  });

  const errors: FieldErrors<FormValues> = formState.errors;
  const errorOf = (name: ScheduleFieldName) => errors[name]?.message ?? previewErrors[name];
  const formError = errors[formErrorName]?.message;
  const isRejectedByField = (save.error?.data?.issues?.length ?? 0) > 0;

  const taskField = register("task", {
    // A new task, new input fields: start them from that task's defaults.
    onChange: (event: { target: { value: string } }) => {
      const next = tasks.find((candidate) => candidate.name === event.target.value);
      const values = next ? initialValuesOf(formFromSchema(next.inputSchema)) : {};
      for (const [name, value] of Object.entries(values)) setValue(name, value);
    },
  });

  return (
    <form
      className="schedule-form"
      onSubmit={onSubmit}
      noValidate
      aria-label={schedule ? `Edit schedule ${schedule.name}` : "New schedule"}
    >
      <div className="schedule-form-layout">
        <div>
          <FormField
            form="schedule"
            name="name"
            label="Name"
            hint="Unique; how people and logs refer to it."
            error={errorOf("name")}
          >
            {(props) => <input {...props} {...register("name")} autoComplete="off" />}
          </FormField>
          <FormField
            form="schedule"
            name="cron"
            label="Cron"
            hint="minute hour day-of-month month day-of-week, e.g. 30 2 * * 1-5; or @hourly, @daily, @weekly"
            error={errorOf("cron")}
          >
            {(props) => (
              <input {...props} {...register("cron")} className="code" autoComplete="off" spellCheck={false} />
            )}
          </FormField>
          <FormField
            form="schedule"
            name="timezone"
            label="Timezone"
            hint="An IANA name; the expression is read in it, so 9:00 stays 9:00 across daylight saving."
            error={errorOf("timezone")}
          >
            {(props) => <input {...props} {...register("timezone")} list="schedule-timezones" autoComplete="off" />}
          </FormField>
          <datalist id="schedule-timezones">
            {timezones.map((zone) => (
              <option key={zone} value={zone} />
            ))}
          </datalist>
          <div className="field field-inline" data-field="enabled">
            <input id="schedule-enabled" type="checkbox" {...register("enabled")} />
            <label htmlFor="schedule-enabled" className="field-label">
              Enabled
            </label>
          </div>
        </div>
        <SchedulePreview
          description={preview.data?.description}
          next={preview.data?.next}
          timezone={previewInput.timezone}
          isPending={previewInput.cron === ""}
          isStale={preview.isPlaceholderData || previewInput.cron !== cron.trim()}
          hasError={preview.isError}
        />
      </div>

      {hasTaskTarget ? (
        <fieldset className="field-group schedule-target">
          <legend>Target</legend>
          <FormField form="schedule" name="task" label="Task" error={errorOf("task")}>
            {(props) => (
              <select {...props} {...taskField}>
                <option value="">Choose a task…</option>
                {tasks.map((info) => (
                  <option key={info.name} value={info.name}>
                    {info.name}
                  </option>
                ))}
              </select>
            )}
          </FormField>
          {task && <p className="muted">{task.description}</p>}
          {/* A fresh set of fields per task: names repeat (f0, f1…) but mean other things. */}
          <div key={taskName}>
            <FormFields nodes={nodes} register={register} errors={errors} />
          </div>
        </fieldset>
      ) : (
        <section className="field-group schedule-target" aria-label="Target">
          <p className="muted">This schedule enqueues a flow; its target can be changed through the API only.</p>
          <JsonBlock value={schedule?.target} />
        </section>
      )}

      <FormError message={formError} field={formErrorName} />
      {save.error && !isRejectedByField && <ErrorBanner title="The schedule was not saved." error={save.error} />}
      <div className="form-actions">
        <button type="submit" className="button-primary" disabled={save.isPending} aria-busy={save.isPending}>
          {schedule ? "Save schedule" : "Create schedule"}
        </button>
      </div>
    </form>
  );
}
