import pg from "pg";
import { z } from "zod";
import type { AppLogger } from "../logger.js";
import { controlChannel } from "../runs/sql/cancelRunRows.js";

const controlMessageSchema = z.object({ cancel: z.array(z.uuid()) });

/**
 * Holds a LISTEN connection for control messages (cancel these running runs) and reconnects when
 * it drops. A message missed during a reconnect costs little: the run is already cancelled in the
 * database, so the attempt's result is discarded when it ends.
 */
export class ControlListener {
  #client: pg.Client | null = null;
  #isStopped = false;
  #retryTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly databaseUrl: string,
    private readonly onCancel: (runIds: string[]) => void,
    private readonly logger: AppLogger,
  ) {}

  async start(): Promise<void> {
    const client = new pg.Client({ connectionString: this.databaseUrl });
    client.on("notification", (message) => {
      const parsed = controlMessageSchema.safeParse(JSON.parse(message.payload ?? "null"));
      if (parsed.success) this.onCancel(parsed.data.cancel);
    });
    client.on("error", (error) => {
      this.logger.warn({ err: error }, "control listener lost its connection; reconnecting");
      this.#reconnectSoon();
    });
    client.on("end", () => this.#reconnectSoon());
    await client.connect();
    await client.query(`listen ${controlChannel}`);
    this.#client = client;
  }

  #reconnectSoon(): void {
    if (this.#isStopped || this.#retryTimer) return;
    this.#client = null;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      this.start().catch(() => this.#reconnectSoon());
    }, 1_000);
  }

  async stop(): Promise<void> {
    this.#isStopped = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    const client = this.#client;
    this.#client = null;
    await client?.end().catch(() => {});
  }
}
