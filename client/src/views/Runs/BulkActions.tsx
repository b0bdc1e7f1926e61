import { limits } from "@conveyor/shared";
import { useMutation } from "@tanstack/react-query";
import { ErrorBanner } from "../../components/Notice";
import { trpc } from "../../trpc";

type BulkAction = "retry" | "cancel";

interface BulkResult {
  action: BulkAction;
  asked: number;
  done: number;
}

/** Calls `act` on `ids` in slices the API accepts (at most `limits.pageSize` ids a call). */
async function inSlices(ids: string[], act: (slice: string[]) => Promise<string[]>): Promise<string[]> {
  const done: string[] = [];
  for (let start = 0; start < ids.length; start += limits.pageSize)
    done.push(...(await act(ids.slice(start, start + limits.pageSize))));
  return done;
}

function describe({ action, asked, done }: BulkResult): string {
  const runs = (count: number) => `${count} run${count === 1 ? "" : "s"}`;
  const skipped = asked - done;
  if (action === "retry")
    return `Retried ${runs(done)}${skipped > 0 ? `; ${skipped} skipped (only failed or cancelled runs outside flows can be retried)` : ""}.`;
  return `Cancelled ${runs(done)}${skipped > 0 ? `; ${skipped} skipped (already finished)` : ""}.`;
}

interface BulkActionsProps {
  selectedIds: string[];
  onClear: () => void;
}

/**
 * Retry or cancel the selected runs at once; the result says how many the API acted on (it skips
 * runs that cannot be retried or are already finished). The rows follow by the live feed.
 */
export function BulkActions({ selectedIds, onClear }: BulkActionsProps) {
  const utils = trpc.useUtils();
  const bulk = useMutation({
    mutationFn: async ({ action, ids }: { action: BulkAction; ids: string[] }): Promise<BulkResult> => {
      const done =
        action === "retry"
          ? await inSlices(ids, async (slice) => (await utils.client.runs.retryMany.mutate({ ids: slice })).retried)
          : await inSlices(ids, async (slice) => (await utils.client.runs.cancelMany.mutate({ ids: slice })).cancelled);
      return { action, asked: ids.length, done: done.length };
    },
    onSuccess: () => onClear(),
  });
  const count = selectedIds.length;
  const isIdle = count === 0 || bulk.isPending;
  return (
    <div className="bulk-actions" role="toolbar" aria-label="Selected runs">
      <span className="bulk-count" data-testid="selected-count">
        {count === 0 ? "Select runs to act on several at once." : `${count} selected`}
      </span>
      <button
        type="button"
        disabled={isIdle}
        onClick={() => bulk.mutate({ action: "retry", ids: selectedIds })}
        aria-busy={bulk.isPending && bulk.variables?.action === "retry"}
      >
        Retry selected
      </button>
      <button
        type="button"
        disabled={isIdle}
        onClick={() => bulk.mutate({ action: "cancel", ids: selectedIds })}
        aria-busy={bulk.isPending && bulk.variables?.action === "cancel"}
      >
        Cancel selected
      </button>
      {count > 0 && (
        <button type="button" className="button-quiet" onClick={onClear} disabled={bulk.isPending}>
          Clear selection
        </button>
      )}
      <output className="bulk-result" data-testid="bulk-result">
        {bulk.data && !bulk.isPending ? describe(bulk.data) : ""}
      </output>
      {bulk.isError && <ErrorBanner title="The selected runs were not all handled." error={bulk.error} />}
    </div>
  );
}
