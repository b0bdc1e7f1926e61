import { eventsChannel, type LiveEvent } from "@conveyor/shared";
import { TRPCError } from "@trpc/server";
import type { Executor } from "../db/client.js";
import { ListenConnection } from "../db/listenConnection.js";
import type { AppLogger } from "../logger.js";
import { EventChannel } from "./eventChannel.js";
import { checkPendingEventWriters, maxEventId, readEvents } from "./sql/readEvents.js";

/** How long a hole in the event ids may hold delivery back before it is taken for a rollback anyway. */
const maxGapWaitMs = 10_000;
/** Safety net for a missed notification: look at the table this often regardless. */
const sweepIntervalMs = 1_000;
const pageSize = 1_000;

export interface HubSubscription {
  readonly channel: EventChannel<LiveEvent>;
  close(): void;
}

/**
 * One LISTEN connection per API process, fanned out in memory. Events are delivered in id order
 * and only once every smaller id is final (committed, or known rolled back), so a subscriber that
 * resumes "after id N" from the table never misses an event that commits late. The delivered
 * horizon is `deliveredUpTo`; a subscription reads its backlog up to it and takes the rest live.
 */
export class EventHub {
  #deliveredUpTo = 0;
  #gapSince: Date | null = null;
  #gapTimer: NodeJS.Timeout | null = null;
  #sweep: NodeJS.Timeout | null = null;
  readonly #listener: ListenConnection;
  #isPumping = false;
  #pumpAgain = false;
  #isStopped = false;
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
    this.#deliveredUpTo = await maxEventId(this.db);
    await this.#listener.start();
    this.#sweep = setInterval(() => this.pump(), sweepIntervalMs);
  }

  /** The listener's backend pid, so tests can cut its connection with pg_terminate_backend. */
  get listenerPid(): number | null {
    return this.#listener.pid;
  }

  subscribe(filter: (event: LiveEvent) => boolean): HubSubscription {
    const entry = { filter, channel: new EventChannel<LiveEvent>() };
    this.#subscribers.add(entry);
    return {
      channel: entry.channel,
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
    // True when, before this read, no transaction that could fill a hole was running: any hole
    // in what the read returns is then a rollback. (Checking after the read would race a commit
    // landing between the two.)
    let holesAreFinal = false;
    for (;;) {
      const rows = await readEvents(this.db, { after: this.#deliveredUpTo, limit: pageSize });
      if (rows.length === 0) return;
      const ready: LiveEvent[] = [];
      let expected = this.#deliveredUpTo + 1;
      let hole = false;
      for (const event of rows) {
        if (event.id !== expected && !holesAreFinal) {
          hole = true;
          break;
        }
        ready.push(event);
        expected = event.id + 1;
      }
      const last = ready.at(-1);
      if (last) {
        this.#deliveredUpTo = last.id;
        this.#deliver(ready);
      }
      if (hole) {
        if (await this.#holeMayBeFilled()) {
          // Come back soon: the transaction holding the missing ids is about to commit or roll back.
          this.#gapTimer ??= setTimeout(() => {
            this.#gapTimer = null;
            this.pump();
          }, 10);
          return;
        }
        holesAreFinal = true;
        continue;
      }
      this.#gapSince = null;
      holesAreFinal = false;
      if (rows.length < pageSize) return;
    }
  }

  /** Whether a transaction that may still fill a hole is running (and the hole is younger than the cap). */
  async #holeMayBeFilled(): Promise<boolean> {
    const { pending, now } = await checkPendingEventWriters(this.db, this.#gapSince);
    this.#gapSince ??= now;
    if (!pending) return false;
    if (now.getTime() - this.#gapSince.getTime() > maxGapWaitMs) {
      this.logger.warn(
        { after: this.#deliveredUpTo },
        "event ids held back too long by an open transaction; moving on",
      );
      return false;
    }
    return true;
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
    await this.#listener.stop();
  }
}
