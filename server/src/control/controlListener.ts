import { ListenConnection } from "../db/listenConnection.js";
import type { AppLogger } from "../logger.js";
import { controlChannel, parseControl } from "./controlChannel.js";

export interface ControlHandlers {
  /** Abort the attempts of these runs. */
  onCancel(runIds: string[]): void;
  /** A task or queue was paused or resumed. */
  onPausesChanged(): void;
}

/**
 * Holds a LISTEN connection for control messages (cancel these running runs, pauses changed) and reconnects when
 * it drops. A message missed during a reconnect costs little: the run is already cancelled in the
 * database, so the attempt's result is discarded when it ends.
 */
export class ControlListener {
  readonly #connection: ListenConnection;

  constructor(databaseUrl: string, handlers: ControlHandlers, logger: AppLogger) {
    this.#connection = new ListenConnection({
      databaseUrl,
      channel: controlChannel,
      onNotification: (payload) => {
        const message = parseControl(payload);
        if (!message) return;
        if ("cancel" in message) handlers.onCancel(message.cancel);
        else handlers.onPausesChanged();
      },
      name: "control listener",
      logger,
      reconnectDelayMs: 1_000,
      retryDelayMs: 1_000,
    });
  }

  start(): Promise<void> {
    return this.#connection.start();
  }

  stop(): Promise<void> {
    return this.#connection.stop();
  }
}
