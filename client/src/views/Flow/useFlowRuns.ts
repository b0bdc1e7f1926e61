import { type FlowStatus, isTerminal, type LiveEvent, type RunStatus } from "@conveyor/shared";
import { useEffect, useMemo, useState } from "react";
import type { FlowGraphRun } from "../../components/FlowGraph";
import { useFrameBatch } from "../../frameBatch";
import { useLiveConnection } from "../../liveConnection";
import { statusAfterEvent } from "../../runEvents";
import { type RouterOutputs, trpc } from "../../trpc";

export type FlowDetail = RouterOutputs["flows"]["get"];

/** What the flow's stream has said about one run. */
interface RunPatch {
  status: RunStatus;
  /** Whether the stream has reached one of the run's ends; before that it may be replaying older history. */
  hasReachedEnd: boolean;
}

/** One node of the graph as it is now. */
export type FlowRun = FlowGraphRun;

export interface FlowProgress {
  finished: number;
  total: number;
  succeeded: number;
  failed: number;
  cancelled: number;
}

/**
 * The flow's status from its runs, by the server's rule (`countFlowRuns`): failed once any run
 * failed, succeeded when all did, cancelled when all finished otherwise; a cancelled flow stays so.
 */
export function flowStatusOf(stored: FlowStatus, progress: FlowProgress): FlowStatus {
  if (stored === "cancelled" || stored === "failed") return stored;
  if (progress.failed > 0) return "failed";
  if (progress.succeeded === progress.total) return "succeeded";
  if (progress.finished === progress.total) return "cancelled";
  return "running";
}

function progressOf(runs: readonly FlowRun[]): FlowProgress {
  const progress = { finished: 0, total: runs.length, succeeded: 0, failed: 0, cancelled: 0 };
  for (const { status } of runs) {
    if (status === "succeeded" || status === "failed" || status === "cancelled") {
      progress[status] += 1;
      progress.finished += 1;
    }
  }
  return progress;
}

/**
 * A flow's runs, moved live by `flows.watch`: each event moves its run's status, applied once per
 * animation frame (a 500-run flow replays thousands of events on open). The stream starts from
 * the flow's first event, so until it reaches a run's end, a run the snapshot already shows
 * finished keeps that status rather than flickering back through its history.
 *
 * When the stream ends, the flow is read again and that snapshot has the last word: the server
 * ends a flow's stream at the first terminal event it passes once the flow has finished, which
 * may be before the rest of a batch of finishes, or early in the history of a flow that finished
 * while the page was opening.
 */
export function useFlowRuns(id: string, flow: FlowDetail, isFetching: boolean) {
  const utils = trpc.useUtils();
  const [patches, setPatches] = useState<ReadonlyMap<string, RunPatch>>(new Map());

  const apply = (events: LiveEvent[]) => {
    setPatches((previous) => {
      const next = new Map(previous);
      for (const event of events) {
        const status = statusAfterEvent[event.type];
        if (!event.runId || !status) continue;
        const hasReachedEnd = (next.get(event.runId)?.hasReachedEnd ?? false) || isTerminal(status);
        next.set(event.runId, { status, hasReachedEnd });
      }
      return next;
    });
  };
  const push = useFrameBatch(apply);

  const [hasStreamEnded, setHasStreamEnded] = useState(false);
  const subscription = trpc.flows.watch.useSubscription(
    { id },
    {
      onStarted: () => setHasStreamEnded(false),
      onData: ({ data: events }) => push(events),
      onComplete: () => {
        setHasStreamEnded(true);
        void utils.flows.get.invalidate({ id });
      },
    },
  );

  const runs = useMemo(
    () =>
      flow.runs.map((run): FlowRun => {
        const patch = patches.get(run.id);
        const isReplayBehind = patch !== undefined && isTerminal(run.status) && !patch.hasReachedEnd;
        return {
          id: run.id,
          name: run.flowNode ?? run.task,
          task: run.task,
          status: patch && !isReplayBehind ? patch.status : run.status,
        };
      }),
    [flow.runs, patches],
  );
  const progress = useMemo(() => progressOf(runs), [runs]);
  const status = flowStatusOf(flow.status, progress);
  const isFinished = status !== "running" && progress.finished === progress.total;

  // Finished by the events: the flow is read once more for the server's own word on it.
  const isStoredFinished = flow.finishedAt !== null;
  useEffect(() => {
    if (isFinished && !isStoredFinished) void utils.flows.get.invalidate({ id });
  }, [isFinished, isStoredFinished, id, utils]);
  // An end while the flow is unfinished (an API shutting down) is a lost stream, once the read
  // after it has confirmed the flow is still going.
  useLiveConnection(subscription, {
    isEndExpected: isFinished || isStoredFinished || (hasStreamEnded && isFetching),
  });
  return { runs, progress, status };
}
