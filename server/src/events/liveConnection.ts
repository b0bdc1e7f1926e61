import type { LiveTransport } from "./eventHub.js";

/** The connection a subscription's events leave by, as far as the stream needs to know it. */
export interface LiveConnection {
  readonly transport: Exclude<LiveTransport, "local">;
  /** Events in one message at most; a larger batch goes in slices. No limit when left out. */
  readonly maxEventsPerMessage?: number;
  /**
   * Resolves once the connection can take more without its send buffer passing its bound, or once
   * it has closed. A stream waits for it before each message, so a client that stops reading
   * leaves its events in the hub's bounded buffer, not in the process's unbounded socket buffer.
   */
  whenWritable(): Promise<void>;
  /** Cuts the connection; its client reconnects and resumes after the last event it received. */
  cut(reason: string): void;
  /**
   * At shutdown: asks the client to reconnect (to another API process, or this one restarted)
   * rather than end its subscriptions. Left out where the stream's error already says so.
   */
  restart?(): void;
}
