import type { LiveEvent } from "@conveyor/shared";
import type { SQL } from "drizzle-orm";
import type { Executor } from "../db/client.js";
import type { EventHub } from "./eventHub.js";
import { flushCommittedEvents, readEvents } from "./sql/readEvents.js";

export interface StreamOptions {
  /** The same selection twice: as SQL for the backlog, as a predicate for live events. */
  where: SQL;
  matches: (event: LiveEvent) => boolean;
  /** Resume after this event id (0: from the beginning); left out, from the moment of subscribing. */
  after?: number | undefined;
  /** Ends the stream after this event (a finished run's terminal event). */
  isLast?: (event: LiveEvent) => Promise<boolean> | boolean;
  /** Checked between backlog and live: ends the stream when nothing more can come. */
  isFinished?: () => Promise<boolean>;
  signal?: AbortSignal | undefined;
}

const backlogPage = 1_000;

/**
 * Backlog from the table, then the live stream, with neither a gap nor a duplicate: it subscribes
 * to the hub first, reads the table up to what the hub has delivered, then passes on live events
 * beyond the last one it yielded. (Reading first would lose what commits in between.)
 */
export async function* streamEvents(hub: EventHub, db: Executor, options: StreamOptions): AsyncGenerator<LiveEvent> {
  const subscription = hub.subscribe(options.matches);
  try {
    await subscription.ready;
    const upTo = hub.deliveredUpTo;
    let cursor = options.after ?? upTo;
    for (;;) {
      const page = await readEvents(db, { after: cursor, upTo, where: options.where, limit: backlogPage });
      for (const event of page) {
        yield event;
        cursor = event.id;
        if (await options.isLast?.(event)) return;
      }
      if (page.length < backlogPage) break;
    }
    if (await options.isFinished?.()) {
      // Finished since the backlog was bounded: its last events are committed, read them directly
      // once they are durable too (a crash must not take back what a subscriber was told).
      await flushCommittedEvents(db);
      for (;;) {
        const page = await readEvents(db, { after: cursor, where: options.where, limit: backlogPage });
        for (const event of page) {
          yield event;
          cursor = event.id;
          if (await options.isLast?.(event)) return;
        }
        if (page.length < backlogPage) return;
      }
    }
    for await (const event of subscription.channel.drain(options.signal)) {
      if (event.id <= cursor) continue;
      yield event;
      cursor = event.id;
      if (await options.isLast?.(event)) return;
    }
  } finally {
    subscription.close();
  }
}
