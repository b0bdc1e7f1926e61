import { runStatuses } from "@conveyor/shared";
import { useMemo, useState } from "react";
import { Link } from "wouter";
import { Detail } from "../../components/Detail";
import { FlowGraph } from "../../components/FlowGraph";
import { ErrorBanner, Placeholder } from "../../components/Notice";
import { ProgressBar } from "../../components/ProgressBar";
import { RequireRole } from "../../components/RequireRole";
import { StatusBadge } from "../../components/StatusBadge";
import { Timestamp } from "../../components/Timestamp";
import { isMissing, trpc } from "../../trpc";
import { flowNodeSize, layoutFlow } from "./flowLayout";
import { type FlowDetail, type FlowProgress, type FlowRun, useFlowRuns } from "./useFlowRuns";

const kindNames: Record<FlowDetail["kind"], string> = {
  chain: "Chain",
  group: "Group",
  chord: "Chord",
  dag: "DAG",
};

function progressText({ finished, total, succeeded, failed, cancelled }: FlowProgress): string {
  const counts = [
    succeeded > 0 ? `${succeeded} succeeded` : "",
    failed > 0 ? `${failed} failed` : "",
    cancelled > 0 ? `${cancelled} cancelled` : "",
  ].filter(Boolean);
  return [`${finished} / ${total} finished`, ...counts].join(" · ");
}

function CancelFlowButton({ id }: { id: string }) {
  const utils = trpc.useUtils();
  const cancel = trpc.flows.cancel.useMutation({
    // The answer is the flow as it now is; its runs' cancellations also arrive on the stream.
    onSuccess: (flow) => utils.flows.get.setData({ id }, flow),
  });
  return (
    <>
      <button
        type="button"
        onClick={() => cancel.mutate({ id })}
        disabled={cancel.isPending}
        aria-busy={cancel.isPending}
      >
        Cancel flow
      </button>
      {cancel.isError && <ErrorBanner title="The flow was not cancelled." error={cancel.error} />}
    </>
  );
}

/** Which colour is which status, for the statuses this flow's runs are in. */
function StatusLegend({ runs }: { runs: readonly FlowRun[] }) {
  const present = new Set(runs.map((run) => run.status));
  return (
    <ul className="flow-legend" aria-label="Statuses">
      {runStatuses
        .filter((status) => present.has(status))
        .map((status) => (
          <li key={status}>
            <span className={`flow-legend-swatch flow-node-${status}`} aria-hidden="true" />
            {status}
          </li>
        ))}
    </ul>
  );
}

/** The runs as a table too: every one reachable by keyboard and screen reader, also those out of view. */
function FlowRunList({ runs }: { runs: readonly FlowRun[] }) {
  const [isOpen, setIsOpen] = useState(false);
  return (
    <details className="card" onToggle={(event) => setIsOpen(event.currentTarget.open)}>
      <summary>All {runs.length} runs as a list</summary>
      {/* Rendered only while open: a 500-run table need not follow every event unseen. */}
      {isOpen && (
        <div className="table-scroll">
          <table className="runs-table">
            <thead>
              <tr>
                <th scope="col">Node</th>
                <th scope="col">Task</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((run) => (
                <tr key={run.id}>
                  <td>
                    <Link href={`/runs/${run.id}`}>{run.name}</Link>
                  </td>
                  <td>{run.task}</td>
                  <td>
                    <StatusBadge status={run.status} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </details>
  );
}

function FlowDetails({ flow, isFetching, id }: { flow: FlowDetail; isFetching: boolean; id: string }) {
  const { runs, progress, status } = useFlowRuns(id, flow, isFetching);
  // The flow's shape never changes, and the query keeps `edges` the same array while it is
  // equal, so the layout is computed once per flow rather than on every status change.
  const idsKey = flow.runs.map((run) => run.id).join(",");
  const positions = useMemo(() => layoutFlow(idsKey.split(","), flow.edges), [idsKey, flow.edges]);
  return (
    <>
      <section className="card flow-summary" aria-label="Summary">
        <dl className="details">
          <Detail term="Kind" testId="flow-kind">
            {kindNames[flow.kind]}
          </Detail>
          <Detail term="Status">
            <StatusBadge status={status} testId="flow-status" />
          </Detail>
          <Detail term="Created">
            <Timestamp date={flow.createdAt} />
          </Detail>
          <Detail term="Finished">
            <Timestamp date={flow.finishedAt} />
          </Detail>
        </dl>
        <div className="flow-progress">
          <ProgressBar
            progress={{ current: progress.finished, total: progress.total, message: null }}
            label="Runs of the flow finished"
          />
          <p className="progress-text" data-testid="flow-progress-text">
            {progressText(progress)}
          </p>
        </div>
        {/* A failed flow may still have runs going (other branches of a DAG): those can be cancelled. */}
        {progress.finished < progress.total && (
          <RequireRole atLeast="operator">
            <div className="form-actions">
              <CancelFlowButton id={id} />
            </div>
          </RequireRole>
        )}
      </section>
      <StatusLegend runs={runs} />
      <FlowGraph
        runs={runs}
        edges={flow.edges}
        positions={positions}
        nodeSize={flowNodeSize}
        label={`${kindNames[flow.kind]} of ${runs.length} runs; each run links to its page.`}
      />
      <FlowRunList runs={runs} />
    </>
  );
}

/** One flow as a graph of its runs, coloured live by status from the flow's event stream. */
export function FlowView({ id }: { id: string }) {
  const flow = trpc.flows.get.useQuery({ id });
  return (
    <div className="flow">
      <h1 className="run-heading">
        Flow <code className="run-title-id">{id}</code>
      </h1>
      {flow.isPending && <Placeholder>Loading flow…</Placeholder>}
      {isMissing(flow.error) && <Placeholder>There is no flow with this id.</Placeholder>}
      {flow.isError && !isMissing(flow.error) && <ErrorBanner title="Could not load the flow." error={flow.error} />}
      {flow.data && <FlowDetails flow={flow.data} isFetching={flow.isFetching} id={id} />}
    </div>
  );
}
