import { type RunStatus, runStatusSchema, taskNameSchema } from "@conveyor/shared";
import { useSearchParams } from "wouter";
import { ErrorBanner, Placeholder } from "../../components/Notice";
import { useCan } from "../../components/RequireRole";
import { RunsFilters } from "./RunsFilters";
import { RunsTable } from "./RunsTable";
import { useLiveRuns } from "./useLiveRuns";

interface RunsResultsProps {
  status: RunStatus | undefined;
  task: string | undefined;
}

/** The runs matching one pair of filters, kept current by the event feed. */
function RunsResults({ status, task }: RunsResultsProps) {
  const canEnqueue = useCan("operator");
  const { runs, items } = useLiveRuns({ status, task });
  const isFiltered = status !== undefined || task !== undefined;
  return (
    <>
      {runs.isError && <ErrorBanner title="Could not load the runs." error={runs.error} />}
      {runs.isPending && <Placeholder>Loading runs…</Placeholder>}
      {runs.isSuccess && items.length === 0 && (
        <Placeholder>
          {isFiltered
            ? "No runs match these filters."
            : canEnqueue
              ? "No runs yet. Enqueue one to see it here."
              : "No runs yet."}
        </Placeholder>
      )}
      {items.length > 0 && <RunsTable runs={items} />}
      {runs.hasNextPage && (
        <div className="form-actions">
          <button type="button" onClick={() => runs.fetchNextPage()} disabled={runs.isFetchingNextPage}>
            {runs.isFetchingNextPage ? "Loading…" : "Load more"}
          </button>
        </div>
      )}
    </>
  );
}

/** Recent runs, newest first, filtered by the status and task held in the URL. */
export function RunsView() {
  const [params, setParams] = useSearchParams();
  // A hand-edited link may hold anything; an unknown filter is ignored rather than sent.
  const status = runStatusSchema.safeParse(params.get("status")).data;
  const task = taskNameSchema.safeParse(params.get("task")).data;

  const setFilter = (name: "status" | "task", value: string) =>
    setParams(
      (previous) => {
        const next = new URLSearchParams(previous);
        if (value) next.set(name, value);
        else next.delete(name);
        return next;
      },
      { replace: true },
    );

  return (
    <div className="runs">
      <h1>Runs</h1>
      <RunsFilters status={status} task={task} onChange={setFilter} />
      {/* New filters, new feed: what was learnt from the old one is dropped with it. */}
      <RunsResults key={`${status ?? ""}|${task ?? ""}`} status={status} task={task} />
    </div>
  );
}
