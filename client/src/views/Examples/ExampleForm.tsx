import type { FormEventHandler, ReactNode } from "react";
import { FormError } from "../../components/FormField";

interface ExampleFormProps {
  /** The form's id: its fields' ids start with it (see `FormField`), its title's is `<id>-title`. */
  id: string;
  title: string;
  submitLabel: string;
  isPending: boolean;
  onSubmit: FormEventHandler<HTMLFormElement>;
  /** A refusal no field explains. */
  error?: string | undefined;
  /** What the last submission did, announced to screen readers. */
  status?: ReactNode;
  /** The fields. */
  children: ReactNode;
  /** Under the form, in the same card: e.g. a banner for a failed upload. */
  footer?: ReactNode;
}

/** An example page's form card: title, fields, the form's own error, the submit button and its outcome. */
export function ExampleForm({
  id,
  title,
  submitLabel,
  isPending,
  onSubmit,
  error,
  status,
  children,
  footer,
}: ExampleFormProps) {
  const titleId = `${id}-title`;
  return (
    <section className="card" aria-labelledby={titleId}>
      <h2 id={titleId}>{title}</h2>
      <form id={id} className="example-form" noValidate aria-labelledby={titleId} onSubmit={onSubmit}>
        {children}
        <FormError message={error} />
        <div className="form-actions">
          <button type="submit" className="button-primary" disabled={isPending} aria-busy={isPending}>
            {submitLabel}
          </button>
        </div>
        {status && (
          <p className="muted" role="status">
            {status}
          </p>
        )}
      </form>
      {footer}
    </section>
  );
}
