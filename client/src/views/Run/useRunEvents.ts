import { isTerminal, type LiveEvent, type RunStatus, terminalRunEventTypes } from "@conveyor/shared";
import { useState } from "react";
import { useFrameBatch } from "../../frameBatch";
import { useLiveConnection } from "../../liveConnection";
import { changesStatus, progressOf } from "../../runEvents";
import { trpc } from "../../trpc";

/** The timeline keeps this many entries; a long chatty run drops its oldest. */
const timelineLimit = 500;

export interface Timeline {
  entries: LiveEvent[];
  /** Entries dropped from the front to stay within the limit. */
  dropped: number;
}

/**
 * Appends in order, skipping what was already seen (a restarted stream replays the history).
 * A progress report replaces one just before it from the same attempt, so a run that reports
 * often shows one moving progress line rather than hundreds.
 */
function appendEvents(timeline: Timeline, events: LiveEvent[]): Timeline {
  const entries = [...timeline.entries];
  for (const event of events) {
    const last = entries.at(-1);
    if (last && event.id <= last.id) continue;
    const isRepeatedProgress =
      last?.type === "run.progress" && event.type === "run.progress" && last.payload.attempt === event.payload.attempt;
    if (isRepeatedProgress) entries.pop();
    entries.push(event);
  }
  const excess = Math.max(0, entries.length - timelineLimit);
  return { entries: excess > 0 ? entries.slice(excess) : entries, dropped: timeline.dropped + excess };
}

/**
 * Follows one run's events (`status` is the run's as last read): moves the cached run's progress in place, reads the run and its
 * steps again after each change of status (so status, attempts, output and error are the server's), and keeps the
 * events as a timeline. Events are applied once per animation frame.
 */
export function useRunEvents(id: string, status: RunStatus | undefined) {
  const utils = trpc.useUtils();
  const [timeline, setTimeline] = useState<Timeline>({ entries: [], dropped: 0 });

  const apply = (events: LiveEvent[]) => {
    // Within a frame only the newest progress matters; a replayed history moves the bar once.
    const progress = events.map(progressOf).findLast((report) => report !== undefined);
    if (progress) {
      const { attempt, ...reported } = progress;
      utils.runs.get.setData({ id }, (run) =>
        run && !isTerminal(run.status) && attempt >= run.attempts ? { ...run, progress: reported } : run,
      );
    }
    if (events.some((event) => changesStatus(event.type))) {
      // Cancel first: a read already under way may have started before this event was committed.
      void utils.runs.get.cancel({ id }).then(() => utils.runs.get.invalidate({ id }));
      // Steps are recorded without events of their own; a run that moves (suspends in a sleep or
      // wait, is woken, finishes) has recorded or completed one, so they are read again with it.
      void utils.runs.steps.cancel({ id }).then(() => utils.runs.steps.invalidate({ id }));
    }
    setTimeline((previous) => appendEvents(previous, events));
  };
  const push = useFrameBatch(apply);

  // The stream ends after the run's last event, or at once for a finished run whose events
  // retention has removed; ending otherwise means the connection was cut.
  const [hasSeenEnd, setHasSeenEnd] = useState(false);
  const subscription = trpc.runs.watch.useSubscription(
    { id },
    {
      onData: ({ data: events }) => {
        if (events.some((event) => terminalRunEventTypes.has(event.type))) setHasSeenEnd(true);
        push(events);
      },
    },
  );
  useLiveConnection(subscription, { isEndExpected: hasSeenEnd || (status !== undefined && isTerminal(status)) });

  /**
   * Follows the run again after its stream ended: a retried run has more to say. The history is
   * replayed from the start; what the timeline already holds is skipped.
   */
  const restart = () => {
    setHasSeenEnd(false);
    subscription.reset();
  };
  return { timeline, restart };
}
