import { eventsChannel, type LiveEvent } from "@conveyor/shared";
import { TRPCError } from "@trpc/server";
import type { Executor } from "../db/client.js";
import { ListenConnection } from "../db/listenConnection.js";
import type { AppLogger } from "../logger.js";
import { EventChannel } from "./eventChannel.js";
import {
  checkEventWriters,
  type EventWriters,
  flushCommittedEvents,
  maxEventId,
  readEvents,
} from "./sql/readEvents.js";

/** A hole held open longer than this by a running transaction is logged (and still waited for). */
const slowHoleWarnMs = 10_000;
/** Safety net for a missed notification: look at the table this often regardless. */
const sweepIntervalMs = 1_000;
/** How soon to look again while a running transaction holds a hole open. */
const holeRecheckMs = 5;
const pageSize = 1_000;

export interface HubSubscription {
  readonly channel: EventChannel<LiveEvent>;
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
  readonly #subscribers = new Set<{ filter: (event: LiveEvent) => boolean; channel: EventChannel<LiveEvent> }>();

  constructor(
    private readonly db: Executor,
    databaseUrl: string,
    private readonly logger: AppLogger,
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

  subscribe(filter: (event: LiveEvent) => boolean): HubSubscription {
    const entry = { filter, channel: new EventChannel<LiveEvent>() };
    this.#subscribers.add(entry);
    const ready = this.#isHorizonCurrent
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          this.#awaitingHorizon.push(resolve);
          this.pump();
        });
    return {
      channel: entry.channel,
      ready,
      close: () => {
        this.#subscribers.delete(entry);
        entry.channel.close();
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

  #deliver(events: readonly LiveEvent[]): void {
    for (const subscriber of this.#subscribers) {
      for (const event of events) if (subscriber.filter(event)) subscriber.channel.push(event);
    }
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
    for (const subscriber of this.#subscribers) subscriber.channel.close(shuttingDown);
    this.#subscribers.clear();
    // Their channels are closed: what waits on them learns so from the channel.
    for (const resolve of this.#awaitingHorizon.splice(0)) resolve();
    await this.#listener.stop();
  }
}
