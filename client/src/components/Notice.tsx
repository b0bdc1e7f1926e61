import type { ReactNode } from "react";

/** A problem the reader should see at once (the API is down, a request failed). */
export function ErrorBanner({ title, error, testId }: { title: string; error?: unknown; testId?: string }) {
  const detail = error instanceof Error ? error.message : undefined;
  return (
    <div className="banner banner-error" role="alert" data-testid={testId}>
      <strong>{title}</strong>
      {detail && <span className="banner-detail">{detail}</span>}
    </div>
  );
}

/** Loading and empty placeholders, kept to one look. */
export function Placeholder({ children }: { children: ReactNode }) {
  return <p className="placeholder">{children}</p>;
}
