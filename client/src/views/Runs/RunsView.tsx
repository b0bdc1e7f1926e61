import { runStatusSchema, taskNameSchema } from "@conveyor/shared";
import { useSearchParams } from "wouter";
import { ErrorBanner, Placeholder } from "../../components/Notice";
import { useCan } from "../../components/RequireRole";
import { trpc } from "../../trpc";
import { RunsFilters } from "./RunsFilters";
import { RunsTable } from "./RunsTable";

/** Rows per page, and how often the loaded pages are refreshed. */
const pageSize = 50;
const refreshMs = 2_000;

/** Recent runs, newest first, filtered by the status and task held in the URL. */
export function RunsView() {
  const [params, setParams] = useSearchParams();
  // A hand-edited link may hold anything; an unknown filter is ignored rather than sent.
  const status = runStatusSchema.safeParse(params.get("status")).data;
  const task = taskNameSchema.safeParse(params.get("task")).data;

  const canEnqueue = useCan("operator");
  // Each refresh refetches every loaded page, so Load more's rows stay and stay current.
  const runs = trpc.runs.list.useInfiniteQuery(
    { status, task, limit: pageSize },
    { getNextPageParam: (page) => page.nextCursor ?? undefined, refetchInterval: refreshMs },
  );

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

  const items = runs.data?.pages.flatMap((page) => page.items) ?? [];
  const isFiltered = status !== undefined || task !== undefined;
  return (
    <div className="runs">
      <h1>Runs</h1>
      <RunsFilters status={status} task={task} onChange={setFilter} />
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
    </div>
  );
}
