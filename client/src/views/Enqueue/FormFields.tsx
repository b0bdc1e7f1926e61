import type { FieldErrors, UseFormRegister } from "react-hook-form";
import type { FormField, FormNode } from "./schemaFields";
import type { FormValues } from "./taskInput";

interface FieldsProps {
  nodes: FormNode[];
  register: UseFormRegister<FormValues>;
  errors: FieldErrors<FormValues>;
  /** Makes element ids unique when a page holds several forms (a flow's steps); `field` by default. */
  idPrefix?: string;
}

/** The path a browser test names a field by: `userId`, `address.city`, or `input` for the whole input. */
function dataFieldOf(path: string[]): string {
  return path.length > 0 ? path.join(".") : "input";
}

function FieldControl({
  field,
  register,
  id,
  describedBy,
  isInvalid,
}: {
  field: FormField;
  register: UseFormRegister<FormValues>;
  id: string;
  describedBy: string;
  isInvalid: boolean;
}) {
  const common = {
    id,
    "aria-describedby": describedBy,
    "aria-invalid": isInvalid || undefined,
    "aria-required": field.isRequired || undefined,
  };
  switch (field.kind) {
    case "number":
    case "integer":
      return (
        <input
          {...common}
          {...register(field.name, { valueAsNumber: true })}
          type="number"
          inputMode={field.kind === "integer" ? "numeric" : "decimal"}
          step={field.kind === "integer" ? 1 : "any"}
          min={field.min}
          max={field.max}
        />
      );
    case "boolean":
      return <input {...common} {...register(field.name)} type="checkbox" />;
    case "enum":
      return (
        <select {...common} {...register(field.name)}>
          {!field.isRequired && <option value="">—</option>}
          {field.options.map((option) => (
            <option key={String(option)} value={String(option)}>
              {String(option)}
            </option>
          ))}
        </select>
      );
    case "textarea":
      return <textarea {...common} {...register(field.name)} rows={5} />;
    case "json":
      return <textarea {...common} {...register(field.name)} rows={6} className="code" spellCheck={false} />;
    default:
      return <input {...common} {...register(field.name)} type={field.kind} />;
  }
}

function Field({ field, register, errors, idPrefix = "field" }: { field: FormField } & Omit<FieldsProps, "nodes">) {
  const message = errors[field.name]?.message;
  const id = `${idPrefix}-${field.name}`;
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const label = (
    <label htmlFor={id} className="field-label">
      {field.label}
    </label>
  );
  const control = (
    <FieldControl
      field={field}
      register={register}
      id={id}
      describedBy={message ? `${hintId} ${errorId}` : hintId}
      isInvalid={message !== undefined}
    />
  );
  return (
    <div className={`field field-${field.kind}`} data-field={dataFieldOf(field.path)}>
      {field.kind === "boolean" ? (
        <div className="field-inline">
          {control}
          {label}
        </div>
      ) : (
        <>
          {label}
          {control}
        </>
      )}
      <p id={hintId} className="field-hint">
        {field.hint}
      </p>
      {message && (
        <p id={errorId} className="field-error" role="alert">
          {message}
        </p>
      )}
    </div>
  );
}

/** The inputs of a task's form, nested objects as fieldsets. */
export function FormFields({ nodes, register, errors, idPrefix }: FieldsProps) {
  return nodes.map((node) =>
    node.node === "field" ? (
      <Field key={node.name} field={node} register={register} errors={errors} idPrefix={idPrefix} />
    ) : (
      <fieldset key={node.path.join(".")} className="field-group" data-field={dataFieldOf(node.path)}>
        <legend>{node.label}</legend>
        <FormFields nodes={node.children} register={register} errors={errors} idPrefix={idPrefix} />
      </fieldset>
    ),
  );
}
