import type { ReactNode } from "react";

/** What a field's control needs to be labelled and described. */
export interface ControlProps {
  id: string;
  "aria-describedby": string | undefined;
  "aria-invalid": true | undefined;
}

interface FormFieldProps {
  /** The form's id; the control's id is `<form>-<name>`. */
  form: string;
  /** The input's name in the API's schema; browser tests find the field by it (`[data-field="email"]`). */
  name: string;
  /** The API's name when the form names the input otherwise (`options.queue` for `optQueue`). */
  dataField?: string;
  label: string;
  hint?: string;
  error?: string | undefined;
  children: (control: ControlProps) => ReactNode;
}

/** A labelled control with its hint and, when it was refused, the reason right under it. */
export function FormField({ form, name, dataField = name, label, hint, error, children }: FormFieldProps) {
  const id = `${form}-${name}`;
  const describedBy = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(" ");
  return (
    <div className="field" data-field={dataField}>
      <label htmlFor={id} className="field-label">
        {label}
      </label>
      {children({ id, "aria-describedby": describedBy || undefined, "aria-invalid": error ? true : undefined })}
      {hint && (
        <p id={`${id}-hint`} className="field-hint">
          {hint}
        </p>
      )}
      {error && (
        <p id={`${id}-error`} className="field-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

/**
 * A problem with the form as a whole (the API refused it for a reason no field explains); `field`
 * is the name the form keeps it under, which browser tests find it by.
 */
export function FormError({ message, field = "form" }: { message: string | undefined; field?: string }) {
  if (!message) return null;
  return (
    <div className="banner banner-error" role="alert" data-field={field}>
      {message}
    </div>
  );
}
