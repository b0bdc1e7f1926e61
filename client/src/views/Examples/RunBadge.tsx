import type { RunStatus } from "@conveyor/shared";
import { Link } from "wouter";
import { StatusBadge } from "../../components/StatusBadge";

/** A run's status, linking to the run's own page; a dash until the run has been read. */
export function RunBadge({ runId, status, testId }: { runId: string; status: RunStatus | undefined; testId: string }) {
  return (
    <Link href={`/runs/${runId}`} className="run-badge-link" title={`Run ${runId}`} data-testid={testId}>
      {status ? <StatusBadge status={status} /> : <span className="muted">…</span>}
    </Link>
  );
}
