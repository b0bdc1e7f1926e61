import type { ReactNode } from "react";

/** One term of a `<dl className="details">` and what it says. */
export function Detail({ term, testId, children }: { term: string; testId?: string; children: ReactNode }) {
  return (
    <div>
      <dt>{term}</dt>
      <dd data-testid={testId}>{children}</dd>
    </div>
  );
}
