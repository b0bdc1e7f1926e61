import type { LiveEvent } from "@conveyor/shared";
import { filterKey, type LiveFilter, matchesFilter } from "./liveFilter.js";

/** The subscribers of one filter: every delivery builds their batch once, and all of them get it. */
export interface FilterGroup<S> {
  readonly filter: LiveFilter;
  readonly subscribers: Set<S>;
}

/**
 * Live subscribers grouped by filter and indexed by what an event names, so routing a delivery
 * looks up the groups of each event's run and flow and tests each distinct feed filter once,
 * never every subscriber.
 */
export class SubscriberIndex<S> {
  readonly #groups = new Map<string, FilterGroup<S>>();
  readonly #byRun = new Map<string, FilterGroup<S>>();
  readonly #byFlow = new Map<string, FilterGroup<S>>();
  readonly #feeds = new Map<string, FilterGroup<S>>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Adds a subscriber; the returned function removes it (once). */
  add(filter: LiveFilter, subscriber: S): () => void {
    const key = filterKey(filter);
    let group = this.#groups.get(key);
    if (!group) {
      group = { filter, subscribers: new Set() };
      this.#groups.set(key, group);
      this.#lookupOf(filter).set(key, group);
    }
    group.subscribers.add(subscriber);
    this.#size += 1;
    const joined = group;
    return () => {
      if (!joined.subscribers.delete(subscriber)) return;
      this.#size -= 1;
      if (joined.subscribers.size > 0) return;
      this.#groups.delete(key);
      this.#lookupOf(filter).delete(key);
    };
  }

  *subscribers(): Generator<S> {
    for (const group of this.#groups.values()) yield* group.subscribers;
  }

  clear(): void {
    this.#groups.clear();
    this.#byRun.clear();
    this.#byFlow.clear();
    this.#feeds.clear();
    this.#size = 0;
  }

  /** The events (in the order given) each group with a match receives: one array per group. */
  route(events: readonly LiveEvent[]): Map<FilterGroup<S>, LiveEvent[]> {
    const batches = new Map<FilterGroup<S>, LiveEvent[]>();
    const add = (group: FilterGroup<S> | undefined, event: LiveEvent) => {
      if (!group) return;
      const batch = batches.get(group);
      if (batch) batch.push(event);
      else batches.set(group, [event]);
    };
    for (const event of events) {
      if (event.runId !== null) add(this.#byRun.get(`run:${event.runId}`), event);
      if (event.flowId !== null) add(this.#byFlow.get(`flow:${event.flowId}`), event);
      for (const group of this.#feeds.values()) if (matchesFilter(group.filter, event)) add(group, event);
    }
    return batches;
  }

  #lookupOf(filter: LiveFilter): Map<string, FilterGroup<S>> {
    switch (filter.kind) {
      case "run":
        return this.#byRun;
      case "flow":
        return this.#byFlow;
      case "feed":
        return this.#feeds;
    }
  }
}
