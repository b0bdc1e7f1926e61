import { Link } from "wouter";
import { formatProgress, ProgressBar } from "../../components/ProgressBar";
import { StatusBadge } from "../../components/StatusBadge";
import { Timestamp } from "../../components/Timestamp";
import type { RouterOutputs } from "../../trpc";

type RunSummary = RouterOutputs["runs"]["list"]["items"][number];

export function RunsTable({ runs }: { runs: RunSummary[] }) {
  return (
    <div className="table-scroll">
      <table className="runs-table">
        <thead>
          <tr>
            <th scope="col">Run</th>
            <th scope="col">Task</th>
            <th scope="col">Status</th>
            <th scope="col">Progress</th>
            <th scope="col">Attempts</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((run) => (
            <tr key={run.id} data-testid="run-row" data-run-id={run.id}>
              <td>
                <Link href={`/runs/${run.id}`} className="run-id">
                  {run.id}
                </Link>
              </td>
              <td>{run.task}</td>
              <td>
                <StatusBadge status={run.status} />
              </td>
              <td>
                {run.progress ? (
                  <div className="progress-cell">
                    <ProgressBar progress={run.progress} label={`Progress of run ${run.id}`} />
                    <span className="progress-text">{formatProgress(run.progress)}</span>
                  </div>
                ) : (
                  <span className="muted">—</span>
                )}
              </td>
              <td className="numeric">
                {run.attempts} / {run.maxAttempts}
              </td>
              <td>
                <Timestamp date={run.createdAt} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
