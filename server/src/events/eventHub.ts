import { eventsChannel, type LiveEvent } from "@conveyor/shared";
import { TRPCError } from "@trpc/server";
import type { Executor } from "../db/client.js";
import { ListenConnection } from "../db/listenConnection.js";
import type { AppLogger } from "../logger.js";
import { metrics } from "../metrics/metrics.js";
import { EventChannel, type SubscriberTooSlowError } from "./eventChannel.js";
import { isAheadOfHistory, timelineOf } from "./eventIds.js";
import type { LiveFilter } from "./liveFilter.js";
import { shareBatch } from "./liveWire.js";
import {
  checkEventWriters,
  type EventWriters,
  flushCommittedEvents,
  maxEventId,
  readEvents,
} from "./sql/readEvents.js";
import { SubscriberIndex } from "./subscriberIndex.js";

/** A hole held open longer than this by a running transaction is logged (and still waited for). */
const slowHoleWarnMs = 10_000;
/** Safety net for a missed notification: look at the table this often regardless. */
const sweepIntervalMs = 1_000;
/** How soon to look again while a running transaction holds a hole open. */
const holeRecheckMs = 5;
const pageSize = 1_000;

/** How a subscriber's events leave the process: a WebSocket, a server-sent event stream, or a caller in this process. */
export type LiveTransport = "websocket" | "sse" | "local";
export const liveTransports: readonly LiveTransport[] = ["websocket", "sse", "local"];

export interface SubscribeOptions {
  transport: LiveTransport;
  /** Called once if the subscriber falls more than the hub's buffer behind (its channel is closed by then). */
  onOverflow?: (error: SubscriberTooSlowError) => void;
  /** Called when the hub stops, before the subscription's stream is ended with an error. */
  onStop?: () => void;
}

interface Subscriber {
  readonly channel: EventChannel<LiveEvent[]>;
  readonly transport: LiveTransport;
  readonly onStop: (() => void) | undefined;
}

const deliveredBy = Object.fromEntries(
  liveTransports.map((transport) => [transport, metrics.liveEventsDelivered.labels(transport)]),
) as Record<LiveTransport, ReturnType<typeof metrics.liveEventsDelivered.labels>>;
// Every series exists from the start, at 0: a rate over "nothing yet" is 0, not missing.
for (const transport of liveTransports) {
  deliveredBy[transport].inc(0);
  metrics.liveSubscribersCut.inc({ transport, reason: "slow" }, 0);
}

export interface HubSubscription {
  /** Batches of events in id order; every subscriber of the same filter receives the same arrays. */
  readonly channel: EventChannel<LiveEvent[]>;
  /** Resolves once `deliveredUpTo` is current: everything after it reaches `channel`. */
  readonly ready: Promise<void>;
  close(): void;
}

/**
 * One LISTEN connection per API process, fanned out in memory. Events are delivered in id order,
 * only once every smaller id is final (committed, or known rolled back) and only once durable, so
 * a subscriber that resumes "after id N" from the table never misses an event that commits late
 * and is never told of one a crash takes back. The delivered horizon is `deliveredUpTo`; a
 * subscription reads its backlog up to it and takes the rest live.
 *
 * With no subscriber it reads nothing: its horizon falls behind, and the next subscription
 * brings it up to date (as `start` does) before it reads its backlog.
 */
export class EventHub {
  #deliveredUpTo = 0;
  /** Each hole in the ids (by its first missing id) and when it was first seen, in database time. */
  readonly #holesSeenAt = new Map<number, number>();
  readonly #slowHolesLogged = new Set<number>();
  #gapTimer: NodeJS.Timeout | null = null;
  #sweep: NodeJS.Timeout | null = null;
  readonly #listener: ListenConnection;
  #isPumping = false;
  #pumpAgain = false;
  #isStopped = false;
  /** False while no one listens: the horizon is then brought up to date before anything is read. */
  #isHorizonCurrent = false;
  readonly #awaitingHorizon: (() => void)[] = [];
  readonly #subscribers = new SubscriberIndex<Subscriber>();

  constructor(
    private readonly db: Executor,
    databaseUrl: string,
    private readonly logger: AppLogger,
    /** Events one subscriber may have waiting before it is cut off (LIVE_BUFFER_EVENTS). */
    private readonly bufferEvents: number,
  ) {
    this.#listener = new ListenConnection({
      databaseUrl,
      channel: eventsChannel,
      onNotification: () => this.pump(),
      // Whatever committed while no one was listening is in the table: catch up from it.
      onListening: () => this.pump(),
      name: "event listener",
      logger,
      reconnectDelayMs: 100,
      retryDelayMs: 500,
    });
  }

  get deliveredUpTo(): number {
    return this.#deliveredUpTo;
  }

  async start(): Promise<void> {
    this.#deliveredUpTo = await this.#finalHorizon();
    this.#isHorizonCurrent = true;
    await this.#listener.start();
    this.#sweep = setInterval(() => this.pump(), sweepIntervalMs);
  }

  /**
   * The highest event id, once every id up to it is final and durable: a transaction running now
   * may still commit an event below the current maximum.
   */
  async #finalHorizon(): Promise<number> {
    const upTo = await maxEventId(this.db);
    const { now } = await checkEventWriters(this.db);
    for (;;) {
      const writers = await checkEventWriters(this.db);
      if (writers.oldestStart === null || writers.oldestStart > now) break;
      await new Promise((resolve) => setTimeout(resolve, holeRecheckMs));
    }
    await flushCommittedEvents(this.db);
    return upTo;
  }

  get subscriberCount(): number {
    return this.#subscribers.size;
  }

  /** Whether its LISTEN connection is up (false while it reconnects). */
  get isListening(): boolean {
    return this.#listener.pid !== null;
  }

  /** The listener's backend pid, so tests can cut its connection with pg_terminate_backend. */
  get listenerPid(): number | null {
    return this.#listener.pid;
  }

  /** Subscribers by transport, and the events waiting in their buffers. */
  get load(): { subscribers: Record<LiveTransport, number>; bufferedEvents: number } {
    const subscribers: Record<LiveTransport, number> = { websocket: 0, sse: 0, local: 0 };
    let bufferedEvents = 0;
    for (const subscriber of this.#subscribers.subscribers()) {
      subscribers[subscriber.transport] += 1;
      bufferedEvents += subscriber.channel.buffered;
    }
    return { subscribers, bufferedEvents };
  }

  subscribe(filter: LiveFilter, options: SubscribeOptions): HubSubscription {
    const channel = new EventChannel<LiveEvent[]>({
      capacity: this.bufferEvents,
      sizeOf: (batch) => batch.length,
      onOverflow: (error) => {
        metrics.liveSubscribersCut.inc({ transport: options.transport, reason: "slow" });
        options.onOverflow?.(error);
      },
    });
    const entry: Subscriber = { channel, transport: options.transport, onStop: options.onStop };
    const remove = this.#subscribers.add(filter, entry);
    const ready = this.#isHorizonCurrent
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          this.#awaitingHorizon.push(resolve);
          this.pump();
        });
    return {
      channel,
      ready,
      close: () => {
        remove();
        channel.close();
      },
    };
  }

  /** Reads and delivers what became final; calls arriving meanwhile fold into one more round. */
  pump(): void {
    if (this.#isStopped) return;
    if (this.#isPumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#isPumping = true;
    this.#drainTable()
      .catch((error: unknown) => this.logger.warn({ err: error }, "reading events failed; will retry"))
      .finally(() => {
        this.#isPumping = false;
        if (this.#pumpAgain) {
          this.#pumpAgain = false;
          this.pump();
        }
      });
  }

  async #drainTable(): Promise<void> {
    if (this.#subscribers.size === 0) {
      this.#isHorizonCurrent = false;
      return;
    }
    if (!this.#isHorizonCurrent) {
      const horizon = await this.#finalHorizon();
      if (horizon > this.#deliveredUpTo) this.#deliveredUpTo = horizon;
      this.#forgetHolesUpTo(this.#deliveredUpTo);
      this.#isHorizonCurrent = true;
      for (const resolve of this.#awaitingHorizon.splice(0)) resolve();
    }
    // The last check of running writers, made before the current read: only a check that
    // precedes a read can show a hole in it final (after the check, a transaction that ended by
    // committing is visible to the read; one that rolled back leaves the hole).
    let writers: EventWriters | null = null;
    for (;;) {
      const rows = await readEvents(this.db, { after: this.#deliveredUpTo, limit: pageSize });
      if (rows.length === 0) return;
      if (await this.#isRewound(rows[0])) {
        this.#rewind();
        return;
      }
      const ready: LiveEvent[] = [];
      let expected = this.#deliveredUpTo + 1;
      let hole: number | null = null;
      for (const event of rows) {
        if (event.id !== expected && !(writers && this.#isHoleFinal(expected, writers))) {
          hole = expected;
          break;
        }
        ready.push(event);
        expected = event.id + 1;
      }
      const last = ready.at(-1);
      if (last) {
        await flushCommittedEvents(this.db);
        this.#deliveredUpTo = last.id;
        this.#forgetHolesUpTo(last.id);
        this.#deliver(ready);
      }
      if (hole !== null) {
        writers = await checkEventWriters(this.db);
        // Dated by a check made after the read that showed it.
        if (!this.#holesSeenAt.has(hole)) this.#holesSeenAt.set(hole, writers.now);
        if (this.#isHoleFinal(hole, writers)) continue; // read again: the next read may skip it
        this.#warnIfSlow(hole, writers);
        // Come back soon: the transaction holding the missing ids is about to commit or roll back.
        this.#gapTimer ??= setTimeout(() => {
          this.#gapTimer = null;
          this.pump();
        }, holeRecheckMs);
        return;
      }
      if (rows.length < pageSize) return;
    }
  }

  /**
   * Whether the database no longer holds what this hub delivered: checked when events of a newer
   * timeline first appear (a failover), so the steady path never pays for it.
   */
  async #isRewound(first: LiveEvent | undefined): Promise<boolean> {
    if (!first || this.#deliveredUpTo === 0 || timelineOf(first.id) === timelineOf(this.#deliveredUpTo)) return false;
    return isAheadOfHistory(this.db, this.#deliveredUpTo);
  }

  /**
   * After a failover lost events this hub delivered: its subscribers are cut as at shutdown, so
   * each reconnects with its last event id and is told whether it saw lost events (the resume
   * check in `streamEvents`); the horizon starts over from what the database holds.
   */
  #rewind(): void {
    this.logger.warn(
      { deliveredUpTo: this.#deliveredUpTo },
      "the database no longer holds events this process delivered (failover to a replica that had not received them); subscribers reconnect and are told",
    );
    this.#cutSubscribers(
      new TRPCError({ code: "SERVICE_UNAVAILABLE", message: "the database's history was rewound; reconnect" }),
    );
    this.#holesSeenAt.clear();
    this.#slowHolesLogged.clear();
    // As at start: the next subscription brings the horizon up to what the database holds.
    this.#deliveredUpTo = 0;
    this.#isHorizonCurrent = false;
  }

  /** Ends every subscription with `error` (clients retry it) and forgets them. */
  #cutSubscribers(error: TRPCError): void {
    for (const subscriber of this.#subscribers.subscribers()) {
      subscriber.onStop?.();
      subscriber.channel.close(error);
    }
    this.#subscribers.clear();
  }

  /**
   * A hole is final once no transaction that was already running when *this* hole was first seen
   * is still running: only such a transaction can hold its ids. A hole not yet dated is not final.
   */
  #isHoleFinal(firstMissingId: number, writers: EventWriters): boolean {
    const seenAt = this.#holesSeenAt.get(firstMissingId);
    if (seenAt === undefined) return false;
    return writers.oldestStart === null || writers.oldestStart > seenAt;
  }

  #warnIfSlow(firstMissingId: number, writers: EventWriters): void {
    const heldForMs = (writers.now - (this.#holesSeenAt.get(firstMissingId) ?? writers.now)) / 1_000;
    if (heldForMs < slowHoleWarnMs || this.#slowHolesLogged.has(firstMissingId)) return;
    this.#slowHolesLogged.add(firstMissingId);
    this.logger.warn(
      { eventId: firstMissingId, heldForMs: Math.round(heldForMs) },
      "a long-running transaction holds back the live events; they follow once it ends",
    );
  }

  #forgetHolesUpTo(id: number): void {
    for (const hole of this.#holesSeenAt.keys()) if (hole <= id) this.#holesSeenAt.delete(hole);
    for (const hole of this.#slowHolesLogged) if (hole <= id) this.#slowHolesLogged.delete(hole);
  }

  /** One array per filter, pushed to each of its subscribers: serialized once however many there are. */
  #deliver(events: readonly LiveEvent[]): void {
    // Counted here and added to the metric once per transport, not once per subscriber.
    const delivered: Record<LiveTransport, number> = { websocket: 0, sse: 0, local: 0 };
    for (const [group, batch] of this.#subscribers.route(events)) {
      if (group.subscribers.size > 1) shareBatch(batch);
      for (const subscriber of group.subscribers) {
        subscriber.channel.push(batch);
        delivered[subscriber.transport] += batch.length;
      }
    }
    for (const transport of liveTransports)
      if (delivered[transport] > 0) deliveredBy[transport].inc(delivered[transport]);
  }

  async stop(): Promise<void> {
    this.#isStopped = true;
    if (this.#sweep) clearInterval(this.#sweep);
    if (this.#gapTimer) clearTimeout(this.#gapTimer);
    // Cut, not completed: clients must reconnect (to another process, or this one restarted)
    // with their last event id, not conclude the stream is over.
    const shuttingDown = new TRPCError({
      code: "SERVICE_UNAVAILABLE",
      message: "the API process is shutting down; reconnect",
    });
    this.#cutSubscribers(shuttingDown);
    // Their channels are closed: what waits on them learns so from the channel.
    for (const resolve of this.#awaitingHorizon.splice(0)) resolve();
    await this.#listener.stop();
  }
}
