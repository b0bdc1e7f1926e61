import { isTerminal } from "@conveyor/shared";
import { ErrorBanner } from "../../components/Notice";
import { useCan } from "../../components/RequireRole";
import { type RouterOutputs, trpc } from "../../trpc";

type Run = RouterOutputs["runs"]["get"];

/** Whether `runs.retry` accepts this run: failed or cancelled, and not part of a flow. */
export function isRetryable(run: Run): boolean {
  return (run.status === "failed" || run.status === "cancelled") && run.flowId === null;
}

interface RunActionsProps {
  run: Run;
  /** Whether the re-run form is open. */
  isRerunOpen: boolean;
  onRerunToggle: () => void;
  /** The run was given another attempt: its (ended) event stream has more to say. */
  onRetried: () => void;
}

/** Cancel, retry and re-run; offered to operators only, and only when the API would accept them. */
export function RunActions({ run, isRerunOpen, onRerunToggle, onRetried }: RunActionsProps) {
  const canAct = useCan("operator");
  const utils = trpc.useUtils();
  // The API answers with the run as it now is; show that at once, the events follow.
  const cancel = trpc.runs.cancel.useMutation({
    onSuccess: (updated) => utils.runs.get.setData({ id: run.id }, updated),
  });
  const retry = trpc.runs.retry.useMutation({
    onSuccess: (updated) => {
      utils.runs.get.setData({ id: run.id }, updated);
      onRetried();
    },
  });
  if (!canAct) return null;
  const isBusy = cancel.isPending || retry.isPending;
  return (
    <>
      <div className="run-actions" role="toolbar" aria-label="Run actions">
        {!isTerminal(run.status) && (
          <button
            type="button"
            onClick={() => cancel.mutate({ id: run.id })}
            disabled={isBusy}
            aria-busy={cancel.isPending}
          >
            Cancel run
          </button>
        )}
        {isRetryable(run) && (
          <button
            type="button"
            onClick={() => retry.mutate({ id: run.id })}
            disabled={isBusy}
            aria-busy={retry.isPending}
          >
            Retry run
          </button>
        )}
        <button type="button" onClick={onRerunToggle} aria-expanded={isRerunOpen} aria-controls="rerun-form">
          Re-run
        </button>
      </div>
      {cancel.isError && <ErrorBanner title="The run was not cancelled." error={cancel.error} />}
      {retry.isError && <ErrorBanner title="The run was not retried." error={retry.error} />}
    </>
  );
}
