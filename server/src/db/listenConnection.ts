import pg from "pg";
import type { AppLogger } from "../logger.js";

export interface ListenConnectionOptions {
  databaseUrl: string;
  /** The channel to LISTEN on; must be a plain identifier. */
  channel: string;
  /** Called with each notification's payload. */
  onNotification: (payload: string | undefined) => void;
  /** Called each time the connection is (again) listening, the first time included. */
  onListening?: () => void;
  /** Names the connection in the log line written when it drops ("event listener"). */
  name: string;
  logger: AppLogger;
  /** Wait before reconnecting after the connection dropped. */
  reconnectDelayMs: number;
  /** Wait before trying again after a reconnect failed; doubles with each failure, up to 5 s. */
  retryDelayMs: number;
}

const maxRetryDelayMs = 5_000;

/**
 * A dedicated connection that LISTENs on one channel and reconnects whenever it drops, until
 * stopped. A connection that completes after `stop()` is closed at once, so none is left open.
 */
export class ListenConnection {
  #client: pg.Client | null = null;
  #isStopped = false;
  #retryTimer: NodeJS.Timeout | null = null;
  #failedReconnects = 0;

  constructor(private readonly options: ListenConnectionOptions) {}

  /** The backend pid of the live connection (null while reconnecting), so tests can cut it. */
  get pid(): number | null {
    return (this.#client as unknown as { processID?: number } | null)?.processID ?? null;
  }

  /** Connects and listens; rejects if this first connection fails. */
  start(): Promise<void> {
    return this.#connect();
  }

  async #connect(): Promise<void> {
    const { databaseUrl, channel, logger, name } = this.options;
    const client = new pg.Client({ connectionString: databaseUrl });
    client.on("notification", (message) => this.options.onNotification(message.payload));
    client.on("error", (error) => {
      logger.warn({ err: error }, `${name} lost its connection; reconnecting`);
      this.#reconnect(client);
    });
    client.on("end", () => this.#reconnect(client));
    try {
      await client.connect();
      await client.query(`listen ${channel}`);
    } catch (error) {
      client.end().catch(() => {});
      throw error;
    }
    if (this.#isStopped) {
      // stop() ran while this connection was being made: it never saw this client.
      await client.end().catch(() => {});
      return;
    }
    this.#client = client;
    this.#failedReconnects = 0;
    this.options.onListening?.();
  }

  /** Only the live client's loss reconnects (its `error` and `end` both arrive); once. */
  #reconnect(lost: pg.Client): void {
    if (this.#isStopped || this.#client !== lost) return;
    this.#client = null;
    this.#retryIn(this.options.reconnectDelayMs);
  }

  #retryIn(delayMs: number): void {
    if (this.#isStopped) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      if (this.#isStopped) return;
      this.#connect().catch(() => {
        this.#failedReconnects += 1;
        this.#retryIn(Math.min(this.options.retryDelayMs * 2 ** (this.#failedReconnects - 1), maxRetryDelayMs));
      });
    }, delayMs);
  }

  /** Stops reconnecting and closes the connection. */
  async stop(): Promise<void> {
    this.#isStopped = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    const client = this.#client;
    this.#client = null;
    await client?.end().catch(() => {});
  }
}
