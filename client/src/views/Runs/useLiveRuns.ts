import type { LiveEvent, RunProgress, RunStatus } from "@conveyor/shared";
import { useEffect, useMemo, useRef, useState } from "react";
import { pageItems } from "../../components/Listing";
import { useFrameBatch } from "../../frameBatch";
import { useLiveConnection } from "../../liveConnection";
import { progressOf, startedPayloadSchema, statusAfterEvent } from "../../runEvents";
import { type RouterOutputs, trpc } from "../../trpc";
import { ListingReloader } from "./listingReloader";
import { type ListingFilters, timeOfRunId } from "./runFilters";

type RunSummary = RouterOutputs["runs"]["list"]["items"][number];

/** Rows per page: a screenful several times over, so scrolling seldom waits for the next. */
const pageSize = 100;

/** How long the first listing waits for the feed to start before loading anyway. */
const feedStartWaitMs = 3_000;

/** What the feed has said about a run since the table loaded it. */
interface RunPatch {
  status?: RunStatus;
  progress?: RunProgress;
  attempts?: number;
}

function patchWith(patch: RunPatch | undefined, event: LiveEvent): RunPatch | undefined {
  const status = statusAfterEvent[event.type];
  if (status) {
    const attempt =
      event.type === "run.started" ? startedPayloadSchema.safeParse(event.payload).data?.attempt : undefined;
    return { ...patch, status, ...(attempt === undefined ? {} : { attempts: attempt }) };
  }
  const progress = progressOf(event);
  // A late report (after the attempt ended or was replaced) says nothing about the run now.
  const isLate =
    (patch?.status !== undefined && patch.status !== "running") ||
    (patch?.attempts !== undefined && progress !== undefined && progress.attempt < patch.attempts);
  if (progress && !isLate) {
    const { attempt: _attempt, ...reported } = progress;
    return { ...patch, progress: reported };
  }
  return patch;
}

/**
 * Whether a run the feed reports belongs under the filters the feed itself cannot apply (it
 * filters by task and queue): status, time range and search. A UUIDv7 tells when its run was made.
 */
function isUnderFilters(filters: ListingFilters, runId: string, status: RunStatus): boolean {
  if (filters.status !== undefined && status !== filters.status) return false;
  // A search by idempotency key cannot be checked here; a new run never takes a live key.
  if (filters.search !== undefined && filters.search !== runId) return false;
  const createdAt = timeOfRunId(runId);
  if (filters.createdAfter && createdAt < filters.createdAfter.getTime()) return false;
  if (filters.createdBefore && createdAt >= filters.createdBefore.getTime()) return false;
  return true;
}

/**
 * The runs table, live. Loaded rows are patched from the event feed (status, progress, attempts);
 * a new run that belongs in the loaded range makes the table reload. Events are applied once per
 * animation frame.
 *
 * Patches win over the listing: the feed is gapless from the moment it starts, while a listing may
 * come from the server's micro-cache and be a second behind. A feed starts at "now", so the
 * listing is read after it has started, never before: nothing changes unseen between the two.
 */
export function useLiveRuns(filters: ListingFilters) {
  const utils = trpc.useUtils();
  const input = { ...filters, limit: pageSize };
  const [patches, setPatches] = useState<ReadonlyMap<string, RunPatch>>(new Map());

  // The newest state, for the event handler and the reloader, which outlive a render.
  const current = useRef({ input, items: [] as RunSummary[], hasNextPage: false, patches, isListEnabled: false });
  const [reloader] = useState(
    () =>
      new ListingReloader(async () => {
        const { input } = current.current;
        // Not cancelling: that would throw away a "Load more" under way.
        await utils.runs.list.invalidate(input, undefined, { cancelRefetch: false });
        const pages = utils.runs.list.getInfiniteData(input)?.pages ?? [];
        return new Set(pages.flatMap((page) => page.items.map((run) => run.id)));
      }),
  );
  useEffect(() => {
    reloader.start();
    return () => reloader.stop();
  }, [reloader]);

  const apply = (events: LiveEvent[]) => {
    const { items, hasNextPage, patches: previous } = current.current;
    const loadedIds = new Set(items.map((run) => run.id));
    const oldest = items.at(-1)?.id;
    // Ids are time-ordered (UUIDv7) and the table is newest first, so an unseen run newer than
    // the last loaded row (or any, once every page is loaded) belongs in the table.
    const isInLoadedRange = (id: string) => !hasNextPage || oldest === undefined || id > oldest;
    const next = new Map(previous);
    const arrivals = new Set<string>();
    for (const event of events) {
      if (!event.runId) continue;
      const patch = patchWith(next.get(event.runId), event);
      if (patch) next.set(event.runId, patch);
      const eventStatus = statusAfterEvent[event.type];
      const isArrival =
        !loadedIds.has(event.runId) &&
        eventStatus !== undefined &&
        isUnderFilters(filters, event.runId, eventStatus) &&
        isInLoadedRange(event.runId);
      if (isArrival) arrivals.add(event.runId);
    }
    if (arrivals.size > 0) reloader.expect(arrivals);
    // Remember only what the table shows or is about to.
    for (const id of next.keys()) if (!loadedIds.has(id) && !reloader.isExpected(id)) next.delete(id);
    current.current.patches = next;
    setPatches(next);
  };
  const push = useFrameBatch(apply);

  // Set while the feed (re)starts from "now": the first start, or a restart after it was cut. A
  // dropped connection that comes back is not one; the link resumes it after its last event.
  const isFreshStart = useRef(true);
  const [isListEnabled, setIsListEnabled] = useState(false);
  const onStarted = () => {
    if (!isFreshStart.current) return;
    isFreshStart.current = false;
    if (current.current.isListEnabled) reloader.request();
    else setIsListEnabled(true);
  };

  const feedInput = {
    ...(filters.task && { task: filters.task }),
    ...(filters.queue && { queue: filters.queue }),
  };
  const feed = trpc.events.feed.useSubscription(feedInput, {
    onStarted,
    onData: ({ data: events }) => push(events),
  });
  useLiveConnection(feed);

  const isFeedStarting = feed.status === "connecting" && feed.error == null;
  useEffect(() => {
    if (!isFeedStarting) return;
    isFreshStart.current = true;
    // Events are missed until it has started: patches and expectations from before may be stale.
    reloader.forget();
    if (current.current.patches.size > 0) {
      current.current.patches = new Map();
      setPatches(current.current.patches);
    }
    // A feed that never starts (a proxy holding the stream back) must not keep the table from loading.
    const timer = setTimeout(() => setIsListEnabled(true), feedStartWaitMs);
    return () => clearTimeout(timer);
  }, [isFeedStarting, reloader]);

  const runs = trpc.runs.list.useInfiniteQuery(input, {
    getNextPageParam: (page) => page.nextCursor ?? undefined,
    enabled: isListEnabled,
  });

  const items = useMemo(() => {
    return pageItems(runs.data).map((run) => {
      const patch = patches.get(run.id);
      return patch ? { ...run, ...patch } : run;
    });
  }, [runs.data, patches]);

  useEffect(() => {
    // Not `patches`: the ref is their source of truth. A render's effect can run after the next
    // frame's events were applied, and writing that render's (older) patches back would lose them.
    current.current = { ...current.current, input, items, hasNextPage: runs.hasNextPage, isListEnabled };
  });
  return { runs, items };
}
