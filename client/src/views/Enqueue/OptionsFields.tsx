import { useState } from "react";
import type { FieldErrors, UseFormRegister } from "react-hook-form";
import { FormField } from "../../components/FormField";
import { optionFieldNames as names, startChoices } from "./enqueueOptions";
import type { FormValues } from "./taskInput";

interface OptionsFieldsProps {
  register: UseFormRegister<FormValues>;
  errors: FieldErrors<FormValues>;
  /** The current "start" choice, to show the delay or the time input. */
  start: string;
  idPrefix: string;
  /** Task defaults, shown as placeholders: an empty option keeps them. */
  defaults: { queue: string | null; priority: number; maxAttempts: number; timeoutMs: number };
}

/**
 * Queue, priority, start time, attempts, timeout and idempotency key of the run to enqueue. Empty
 * fields keep the task's defaults; the form checks them with the API's `enqueueOptionsSchema`.
 */
export function OptionsFields({ register, errors, start, idPrefix, defaults }: OptionsFieldsProps) {
  // Each option is found by its path in the enqueue request (`options.queue`), not its form name.
  const field = (option: keyof typeof names) => ({
    form: idPrefix,
    name: names[option],
    dataField: `options.${option}`,
    error: errors[names[option]]?.message,
  });
  // Closed until wanted; opened by the reader, or by a problem in one of its fields.
  const [isOpen, setIsOpen] = useState(false);
  const hasErrors = Object.values(names).some((name) => errors[name] !== undefined);
  if (hasErrors && !isOpen) setIsOpen(true);
  return (
    <details
      className="options"
      open={isOpen}
      onToggle={(event) => setIsOpen(event.currentTarget.open)}
      data-testid="enqueue-options"
    >
      <summary>Options</summary>
      <div className="options-grid">
        <FormField
          {...field("queue")}
          label="Queue"
          hint="Runs of one queue start one at a time; letters, digits, _ . : -"
        >
          {(props) => (
            <input
              {...props}
              {...register(names.queue)}
              placeholder={defaults.queue ?? "parallel"}
              autoComplete="off"
            />
          )}
        </FormField>
        <FormField {...field("priority")} label="Priority" hint="−1000 to 1000; higher starts first">
          {(props) => (
            <input
              {...props}
              {...register(names.priority, { valueAsNumber: true })}
              type="number"
              step={1}
              placeholder={String(defaults.priority)}
            />
          )}
        </FormField>
        <FormField {...field("maxAttempts")} label="Max attempts" hint="1 to 100">
          {(props) => (
            <input
              {...props}
              {...register(names.maxAttempts, { valueAsNumber: true })}
              type="number"
              min={1}
              max={100}
              step={1}
              placeholder={String(defaults.maxAttempts)}
            />
          )}
        </FormField>
        <FormField {...field("timeoutMs")} label="Timeout (ms)" hint="Per attempt; 10 ms to 24 h">
          {(props) => (
            <input
              {...props}
              {...register(names.timeoutMs, { valueAsNumber: true })}
              type="number"
              min={10}
              step={1}
              placeholder={String(defaults.timeoutMs)}
            />
          )}
        </FormField>
        <FormField {...field("start")} label="Start" hint="When the run may start">
          {(props) => (
            <select {...props} {...register(names.start)}>
              {startChoices.map((choice) => (
                <option key={choice.value} value={choice.value}>
                  {choice.label}
                </option>
              ))}
            </select>
          )}
        </FormField>
        {start === "delay" && (
          <FormField {...field("delayMs")} label="Delay (ms)" hint="From now; up to 365 days">
            {(props) => (
              <input {...props} {...register(names.delayMs, { valueAsNumber: true })} type="number" min={0} step={1} />
            )}
          </FormField>
        )}
        {start === "at" && (
          <FormField {...field("runAt")} label="Run at" hint="Your local time">
            {(props) => <input {...props} {...register(names.runAt)} type="datetime-local" step={1} />}
          </FormField>
        )}
        <FormField
          {...field("idempotencyKey")}
          label="Idempotency key"
          hint="Enqueueing again with this key (for 24 h) returns the same run"
        >
          {(props) => <input {...props} {...register(names.idempotencyKey)} autoComplete="off" spellCheck={false} />}
        </FormField>
      </div>
    </details>
  );
}
