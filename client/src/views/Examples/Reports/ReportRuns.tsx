import { reportGenerate } from "@conveyor/shared";
import { formatProgress, ProgressBar } from "../../../components/ProgressBar";
import { RunBadge } from "../RunBadge";
import type { FollowedRun } from "../useFollowedRuns";

function ReportRun({ id, run }: { id: string; run: FollowedRun | undefined }) {
  const input = reportGenerate.input.safeParse(run?.input).data;
  const output = run?.status === "succeeded" ? reportGenerate.output.safeParse(run.output).data : undefined;
  const subject = input ? `User ${input.userId} · version ${input.version ?? 1}` : "Report";
  return (
    <li className="report-run" data-testid="report-run" data-run-id={id}>
      <strong>{subject}</strong>
      <RunBadge runId={id} status={run?.status} testId="report-run-status" />
      {run?.progress ? (
        <div className="progress-cell">
          <ProgressBar progress={run.progress} label={`Progress of ${subject}`} testId="report-progress" />
          <span className="progress-text">{formatProgress(run.progress)}</span>
        </div>
      ) : (
        <span className="muted">{run ? "No progress yet" : ""}</span>
      )}
      {output && (
        <p className="report-run-outcome">
          Report at <code data-testid="report-run-url">{output.reportUrl}</code>
        </p>
      )}
      {run?.error && run.status !== "succeeded" && (
        <p className="report-run-outcome field-error">
          {run.error.name}: {run.error.message}
          {run.status === "retrying" ? " · retrying" : ""}
        </p>
      )}
    </li>
  );
}

/** The latest `report.generate` runs, each with its progress as the worker reports it. */
export function ReportRuns({ ids, runs }: { ids: readonly string[]; runs: ReadonlyMap<string, FollowedRun> }) {
  return (
    <section className="card" aria-labelledby="report-runs-title">
      <h2 id="report-runs-title">Latest runs</h2>
      {ids.length === 0 ? (
        <p className="muted">No report is being generated.</p>
      ) : (
        <ol className="report-runs">
          {ids.map((id) => (
            <ReportRun key={id} id={id} run={runs.get(id)} />
          ))}
        </ol>
      )}
    </section>
  );
}
