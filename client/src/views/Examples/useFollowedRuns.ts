import { isTerminal, type LiveEvent } from "@conveyor/shared";
import { useEffect, useRef, useState } from "react";
import { useFrameBatch } from "../../frameBatch";
import { useLiveConnection } from "../../liveConnection";
import { changesStatus, progressOf } from "../../runEvents";
import { type RouterOutputs, trpc } from "../../trpc";

export type FollowedRun = RouterOutputs["runs"]["get"];

/** How long the runs wait for the feed to start before being read anyway (as the runs table does). */
const feedStartWaitMs = 3_000;

interface FollowOptions {
  /** Every batch of the task's events, followed runs or not (to notice runs started elsewhere). */
  onEvents?: (events: LiveEvent[]) => void;
}

/**
 * Keeps a page's runs of one task current: one event feed for all of them, since a `runs.watch`
 * per row would use up the browser's few connections to the API and the token's subscriptions.
 * Each run is read with `runs.get` only once the feed has started, so nothing happens unseen
 * between the two; a progress report then moves the cached run in place and a change of status
 * reads it again, so status, output and error are always the server's. Applied once per frame.
 */
export function useFollowedRuns(
  task: string,
  ids: readonly string[],
  options: FollowOptions = {},
): ReadonlyMap<string, FollowedRun> {
  const utils = trpc.useUtils();
  const followed = useRef(new Set(ids));
  const onEvents = useRef(options.onEvents);
  useEffect(() => {
    followed.current = new Set(ids);
    onEvents.current = options.onEvents;
  });

  const apply = (events: LiveEvent[]) => {
    const progressById = new Map<string, NonNullable<ReturnType<typeof progressOf>>>();
    const changedIds = new Set<string>();
    for (const event of events) {
      if (!event.runId || !followed.current.has(event.runId)) continue;
      const progress = progressOf(event);
      if (progress) progressById.set(event.runId, progress);
      if (changesStatus(event.type)) changedIds.add(event.runId);
    }
    for (const [id, { attempt, ...reported }] of progressById) {
      utils.runs.get.setData({ id }, (run) =>
        run && !isTerminal(run.status) && attempt >= run.attempts ? { ...run, progress: reported } : run,
      );
    }
    // Cancel first: a read already under way may have started before this event was committed.
    for (const id of changedIds) void utils.runs.get.cancel({ id }).then(() => utils.runs.get.invalidate({ id }));
    onEvents.current?.(events);
  };
  const push = useFrameBatch(apply);

  const [isFeedStarted, setIsFeedStarted] = useState(false);
  const feed = trpc.events.feed.useSubscription(
    { task },
    {
      onStarted: () => {
        // A restarted feed (or one that started late) may have missed events: read every run again.
        // Before the first start nothing has been read, and disabled reads are not repeated.
        for (const id of followed.current) void utils.runs.get.invalidate({ id });
        setIsFeedStarted(true);
      },
      onData: ({ data: events }) => push(events),
    },
  );
  useLiveConnection(feed);

  // A feed held back (a proxy buffering the stream) must not keep the runs from showing at all.
  useEffect(() => {
    if (isFeedStarted) return;
    const timer = setTimeout(() => setIsFeedStarted(true), feedStartWaitMs);
    return () => clearTimeout(timer);
  }, [isFeedStarted]);

  const runs = trpc.useQueries((t) => ids.map((id) => t.runs.get({ id }, { enabled: isFeedStarted })));
  return new Map(runs.flatMap((run) => (run.data ? [[run.data.id, run.data] as const] : [])));
}
