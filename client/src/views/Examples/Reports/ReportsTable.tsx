import { Link } from "wouter";
import { Timestamp } from "../../../components/Timestamp";
import type { RouterOutputs } from "../../../trpc";

type Report = RouterOutputs["reports"]["list"]["items"][number];

export function ReportsTable({ reports }: { reports: Report[] }) {
  return (
    <div className="table-scroll table-card">
      <table className="runs-table">
        <thead>
          <tr>
            <th scope="col">User</th>
            <th scope="col">Version</th>
            <th scope="col">Report</th>
            <th scope="col">Built by</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {reports.map((report) => (
            <tr key={report.id} data-testid="report-row" data-run-id={report.runId} data-user-id={report.userId}>
              <td className="numeric">{report.userId}</td>
              <td className="numeric">{report.version}</td>
              <td>
                <code data-testid="report-url">{report.reportUrl}</code>
              </td>
              <td>
                <Link href={`/runs/${report.runId}`} className="run-id">
                  {report.runId.slice(0, 8)}…
                </Link>
              </td>
              <td>
                <Timestamp date={report.createdAt} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
