import { terminalRunEventTypes } from "@conveyor/shared";
import { useEffect, useRef, useState } from "react";
import { useLiveConnection } from "./liveConnection";
import { trpc } from "./trpc";

/**
 * Calls `refresh` at most once per `intervalMs`: at once when the last call is older than that,
 * else once at the end of the interval, however many requests came in between.
 */
export class Throttle {
  #lastAt = Number.NEGATIVE_INFINITY;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly refresh: () => void,
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  request(): void {
    if (this.#timer !== undefined) return;
    const wait = this.#lastAt + this.intervalMs - this.now();
    if (wait <= 0) this.#fire();
    else this.#timer = setTimeout(() => this.#fire(), wait);
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #fire(): void {
    this.#timer = undefined;
    this.#lastAt = this.now();
    this.refresh();
  }
}

/**
 * Re-reads an aggregate view (charts, a flows listing) when the event feed reports runs finishing,
 * at most once per `intervalMs`: a burst of thousands of finishes costs one query per interval,
 * not one per run. A feed that had to start over may have missed some, so it refreshes then too.
 */
export function useRefreshOnRunsFinished(refresh: () => void, intervalMs = 2_000): void {
  const refreshRef = useRef(refresh);
  useEffect(() => {
    refreshRef.current = refresh;
  });
  const [throttle] = useState(() => new Throttle(() => refreshRef.current(), intervalMs));
  useEffect(() => () => throttle.stop(), [throttle]);

  const hasStarted = useRef(false);
  const feed = trpc.events.feed.useSubscription(
    {},
    {
      onStarted: () => {
        if (hasStarted.current) throttle.request();
        hasStarted.current = true;
      },
      onData: ({ data: events }) => {
        if (events.some((event) => terminalRunEventTypes.has(event.type))) throttle.request();
      },
    },
  );
  useLiveConnection(feed);
}
