import { isHistoryRewound } from "@conveyor/shared";
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useState, useSyncExternalStore } from "react";
import { isCallerMistake } from "./trpc";

/*
 * Views own their subscriptions; the header only needs to know whether any of them has lost its
 * connection. Each open subscription reports here, and the header reads the sum.
 */

/** What `useLiveConnection` reads of a tRPC `useSubscription` result (never `data`: reading it re-renders per event). */
interface SubscriptionState {
  status: "idle" | "connecting" | "pending" | "error";
  error: unknown;
  reset: () => void;
}

/** How long a lost subscription waits before starting over. */
const restartMs = 3_000;

const reconnecting = new Set<symbol>();
const listeners = new Set<() => void>();
let isAnyReconnecting = false;

function publish(): void {
  const next = reconnecting.size > 0;
  if (next === isAnyReconnecting) return;
  isAnyReconnecting = next;
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Whether any open subscription is trying to get its connection back. */
export function useIsReconnecting(): boolean {
  return useSyncExternalStore(subscribe, () => isAnyReconnecting);
}

/**
 * Reports a subscription's connection to the header, and starts it over when it is lost in a way
 * the link does not retry by itself: the stream answered with an HTTP error (as a proxy does while
 * the API is down), or it ended when it should not have (an API shutting down ends its streams).
 * One told that the database's history was rewound (a failover) starts over at once, and every
 * query is fetched again. A refused subscription (missing run, signed out) is left to the view to explain.
 */
export function useLiveConnection(subscription: SubscriptionState, options: { isEndExpected?: boolean } = {}): void {
  const { status, error, reset } = subscription;
  const queryClient = useQueryClient();
  // A failover lost events this view was sent: it starts over from what the database holds.
  const isRewound = status === "error" && isHistoryRewound(error);
  const needsRestart =
    (status === "error" && !isCallerMistake(error)) || (status === "idle" && options.isEndExpected !== true);
  // `connecting` without an error is a first connection, or a restart of a lost one.
  const isLosing = needsRestart || (status === "connecting" && error != null);

  // Lost stays lost through the restart's own quiet `connecting`, until the stream is back (or
  // turns out to have ended as it should).
  const [isLost, setIsLost] = useState(false);
  if (isLosing && !isLost) setIsLost(true);
  else if (!isLosing && status !== "connecting" && isLost) setIsLost(false);

  useEffect(() => {
    if (!isLost) return;
    const key = Symbol("subscription");
    reconnecting.add(key);
    publish();
    return () => {
      reconnecting.delete(key);
      publish();
    };
  }, [isLost]);

  useEffect(() => {
    if (!isRewound) return;
    void queryClient.invalidateQueries();
    reset();
  }, [isRewound, queryClient, reset]);

  useEffect(() => {
    if (!needsRestart) return;
    const timer = setTimeout(reset, restartMs);
    return () => clearTimeout(timer);
  }, [needsRestart, reset]);
}
