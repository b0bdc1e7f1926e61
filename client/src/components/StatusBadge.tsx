import type { RunStatus } from "@conveyor/shared";

/** A run's status as a coloured pill; the text is exactly the status name. */
export function StatusBadge({ status, testId }: { status: RunStatus; testId?: string }) {
  return (
    <span className={`badge badge-${status}`} data-status={status} data-testid={testId}>
      {status}
    </span>
  );
}
