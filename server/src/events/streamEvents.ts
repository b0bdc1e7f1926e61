import type { LiveEvent } from "@conveyor/shared";
import { TRPCError } from "@trpc/server";
import type { Executor } from "../db/client.js";
import { HistoryRewoundError } from "../errors.js";
import type { EventHub } from "./eventHub.js";
import { isAheadOfHistory } from "./eventIds.js";
import type { LiveConnection } from "./liveConnection.js";
import { filterSql, type LiveFilter } from "./liveFilter.js";
import { slicesOf } from "./liveWire.js";
import { flushCommittedEvents, readEvents } from "./sql/readEvents.js";

export interface StreamOptions {
  /** What to stream: read from the table for the backlog, matched in memory for live events. */
  filter: LiveFilter;
  /** Resume after this event id (0: from the beginning); left out, from the moment of subscribing. */
  after?: number | undefined;
  /** Ends the stream after this event (a finished run's terminal event). */
  isLast?: (event: LiveEvent) => Promise<boolean> | boolean;
  /** Checked between backlog and live: ends the stream when nothing more can come. */
  isFinished?: () => Promise<boolean>;
  /** Where the events go; null for a caller in this process. */
  connection: LiveConnection | null;
  signal?: AbortSignal | undefined;
}

const backlogPage = 1_000;

/** A resume point ahead of the database's history ends the subscription, never resumes it silently. */
async function refuseRewoundResume(db: Executor, after: number): Promise<void> {
  if (!(await isAheadOfHistory(db, after))) return;
  const cause = new HistoryRewoundError(after);
  throw new TRPCError({ code: "PRECONDITION_FAILED", message: cause.message, cause });
}

/** The events up to and including the first that ends the stream, and whether one did. */
async function upToLast(
  events: LiveEvent[],
  isLast: StreamOptions["isLast"],
): Promise<{ events: LiveEvent[]; isDone: boolean }> {
  if (isLast) {
    for (const [index, event] of events.entries()) {
      if (await isLast(event)) return { events: events.slice(0, index + 1), isDone: true };
    }
  }
  return { events, isDone: false };
}

/**
 * Backlog from the table, then the live stream, with neither a gap nor a duplicate: it subscribes
 * to the hub first, reads the table up to what the hub has delivered, then passes on live events
 * beyond the last one it yielded. (Reading first would lose what commits in between.) Events come
 * in batches: a backlog page, or what one delivery of the hub held for this filter — many events
 * per message when the stream is busy, and the hub's own array (serialized once for all its
 * subscribers) whenever it can be passed on whole.
 */
export async function* streamEvents(hub: EventHub, db: Executor, options: StreamOptions): AsyncGenerator<LiveEvent[]> {
  const { connection } = options;
  let cursor = 0;
  const subscription = hub.subscribe(options.filter, {
    transport: connection?.transport ?? "local",
    onOverflow: (error) => connection?.cut(`${error.message}; last event sent ${cursor}`),
    onStop: () => connection?.restart?.(),
  });
  try {
    if (options.after) await refuseRewoundResume(db, options.after);
    await subscription.ready;
    const upTo = hub.deliveredUpTo;
    cursor = options.after ?? upTo;
    const where = filterSql(options.filter);
    const limit = connection?.maxEventsPerMessage ?? Number.POSITIVE_INFINITY;
    /** Waits for the connection, then yields the events (in messages of at most `limit`). */
    const send = async function* (events: LiveEvent[]) {
      if (events.length === 0) return;
      for (const slice of slicesOf(events, limit)) {
        await connection?.whenWritable();
        yield slice;
        cursor = slice.at(-1)?.id ?? cursor;
      }
    };
    const fromTable = async function* (bounded: boolean) {
      for (;;) {
        const page = await readEvents(db, { after: cursor, ...(bounded ? { upTo } : {}), where, limit: backlogPage });
        const { events, isDone } = await upToLast(page, options.isLast);
        yield* send(events);
        if (isDone) return true;
        if (page.length < backlogPage) return false;
      }
    };
    if (yield* fromTable(true)) return;
    if (await options.isFinished?.()) {
      // Finished since the backlog was bounded: its last events are committed, read them directly
      // once they are durable too (a crash must not take back what a subscriber was told).
      await flushCommittedEvents(db);
      yield* fromTable(false);
      return;
    }
    for await (const batch of subscription.channel.drain(options.signal)) {
      // Only the first live batches can overlap the backlog; later ones pass on as they are.
      const fresh = (batch[0]?.id ?? 0) > cursor ? batch : batch.filter((event) => event.id > cursor);
      const { events, isDone } = await upToLast(fresh, options.isLast);
      yield* send(events);
      if (isDone) return;
    }
  } finally {
    subscription.close();
  }
}
