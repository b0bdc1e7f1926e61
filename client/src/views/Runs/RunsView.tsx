import type { RowSelectionState } from "@tanstack/react-table";
import { useState } from "react";
import { useSearchParams } from "wouter";
import { LoadMore } from "../../components/Listing";
import { ErrorBanner, Placeholder } from "../../components/Notice";
import { useCan } from "../../components/RequireRole";
import { useSetSearchParams } from "../../searchParams";
import { BulkActions } from "./BulkActions";
import { RunsFilters, type SetFilters } from "./RunsFilters";
import { RunsTable } from "./RunsTable";
import { filtersFromParams, filtersKey, isFiltered, listingFiltersOf, type UrlFilters } from "./runFilters";
import { useLiveRuns } from "./useLiveRuns";
import "./runs.css";

const count = new Intl.NumberFormat();

/** The runs matching one set of filters, kept current by the event feed. */
function RunsResults({ filters }: { filters: UrlFilters }) {
  const canAct = useCan("operator");
  // A preset ("last hour") is resolved once, when this listing starts: the query stays one query.
  const [listing] = useState(() => listingFiltersOf(filters, Date.now()));
  const { runs, items } = useLiveRuns(listing);
  const [selection, setSelection] = useState<RowSelectionState>({});
  // Selected runs that are loaded; a selection never outlives its rows.
  const selectedIds = items.filter((run) => selection[run.id]).map((run) => run.id);

  const loadMore = () => {
    if (runs.hasNextPage && !runs.isFetchingNextPage && !runs.isError) void runs.fetchNextPage();
  };

  return (
    <>
      {canAct && items.length > 0 && <BulkActions selectedIds={selectedIds} onClear={() => setSelection({})} />}
      {runs.isError && <ErrorBanner title="Could not load the runs." error={runs.error} />}
      {runs.isPending && !runs.isError && (
        <Placeholder>
          <span role="status">Loading runs…</span>
        </Placeholder>
      )}
      {runs.isSuccess && items.length === 0 && (
        <Placeholder>
          {isFiltered(filters)
            ? "No runs match these filters."
            : canAct
              ? "No runs yet. Enqueue one to see it here."
              : "No runs yet."}
        </Placeholder>
      )}
      {items.length > 0 && (
        <>
          <RunsTable
            runs={items}
            selection={canAct ? selection : null}
            onSelectionChange={setSelection}
            onNearEnd={loadMore}
          />
          <div className="runs-footer">
            <span className="muted" data-testid="runs-loaded" data-count={items.length} data-newest-id={items[0]?.id}>
              {count.format(items.length)} {items.length === 1 ? "run" : "runs"} loaded
              {runs.hasNextPage ? "; more load as you scroll" : ""}
            </span>
            <LoadMore query={runs} onLoad={loadMore} />
          </div>
        </>
      )}
    </>
  );
}

/** Recent runs, newest first, filtered by what the URL holds. */
export function RunsView() {
  const [params] = useSearchParams();
  const setFilters: SetFilters = useSetSearchParams();
  const filters = filtersFromParams(params);

  return (
    <div className="runs">
      <h1>Runs</h1>
      <RunsFilters filters={filters} onChange={setFilters} />
      {/* New filters, new feed: what was learnt from the old one is dropped with it. */}
      <RunsResults key={filtersKey(filters)} filters={filters} />
    </div>
  );
}
