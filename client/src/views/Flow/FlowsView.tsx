import { type FlowStatus, flowStatuses, flowStatusSchema } from "@conveyor/shared";
import { Link, useSearchParams } from "wouter";
import { Listing, pageItems } from "../../components/Listing";
import { ProgressBar } from "../../components/ProgressBar";
import { StatusBadge } from "../../components/StatusBadge";
import { Timestamp } from "../../components/Timestamp";
import { useRefreshOnRunsFinished } from "../../refreshOnRunsFinished";
import { useSetSearchParams } from "../../searchParams";
import { type RouterOutputs, trpc } from "../../trpc";

type FlowSummary = RouterOutputs["flows"]["list"]["items"][number];

const pageSize = 50;

function FlowsTable({ flows }: { flows: FlowSummary[] }) {
  return (
    <div className="table-scroll">
      <table className="runs-table">
        <thead>
          <tr>
            <th scope="col">Flow</th>
            <th scope="col">Kind</th>
            <th scope="col">Status</th>
            <th scope="col">Progress</th>
            <th scope="col">Created</th>
            <th scope="col">Finished</th>
          </tr>
        </thead>
        <tbody>
          {flows.map((flow) => (
            <tr key={flow.id} data-testid="flow-row" data-flow-id={flow.id}>
              <td>
                <Link href={`/flows/${flow.id}`} className="run-id">
                  {flow.id}
                </Link>
              </td>
              <td>{flow.kind}</td>
              <td>
                <StatusBadge status={flow.status} />
              </td>
              <td>
                <div className="progress-cell">
                  <ProgressBar
                    progress={{ current: flow.progress.finished, total: flow.progress.total, message: null }}
                    label={`Runs of flow ${flow.id} finished`}
                  />
                  <span className="progress-text">
                    {flow.progress.finished} / {flow.progress.total}
                  </span>
                </div>
              </td>
              <td>
                <Timestamp date={flow.createdAt} />
              </td>
              <td>
                <Timestamp date={flow.finishedAt} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function FlowsResults({ status }: { status: FlowStatus | undefined }) {
  const utils = trpc.useUtils();
  const input = { status, limit: pageSize };
  const flows = trpc.flows.list.useInfiniteQuery(input, { getNextPageParam: (page) => page.nextCursor ?? undefined });
  // A flow's counters move as its runs finish; the listing is read again then, not on a timer.
  useRefreshOnRunsFinished(() => void utils.flows.list.invalidate());
  return (
    <Listing
      query={flows}
      items={pageItems(flows.data)}
      noun="flows"
      empty={status ? `No ${status} flows.` : "No flows yet."}
    >
      {(items) => <FlowsTable flows={items} />}
    </Listing>
  );
}

/** Chains, groups, chords and DAGs, newest first, filtered by the status held in the URL. */
export function FlowsView() {
  const [params] = useSearchParams();
  const setParams = useSetSearchParams();
  const status = flowStatusSchema.safeParse(params.get("status")).data;
  return (
    <div className="flows">
      <h1>Flows</h1>
      <search className="filters" aria-label="Filter flows">
        <div className="filter">
          <label htmlFor="flow-filter-status">Status</label>
          <select
            id="flow-filter-status"
            value={status ?? ""}
            onChange={(event) => setParams({ status: event.target.value })}
          >
            <option value="">All statuses</option>
            {flowStatuses.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </div>
      </search>
      <FlowsResults key={status ?? ""} status={status} />
    </div>
  );
}
