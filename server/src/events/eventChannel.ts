/** Events buffered for one subscriber beyond which it is cut off (it resumes from the table on reconnect). */
export const maxBufferedEvents = 10_000;

export class SubscriberTooSlowError extends Error {
  override name = "SubscriberTooSlowError";
}

/** An async-iterable queue between the hub (which pushes) and one subscription (which pulls). */
export class EventChannel<T> {
  readonly #buffer: T[] = [];
  #wake: (() => void) | null = null;
  #closedWith: Error | null | undefined;

  push(item: T): void {
    if (this.#closedWith !== undefined) return;
    if (this.#buffer.length >= maxBufferedEvents) {
      this.close(new SubscriberTooSlowError("subscriber fell too far behind; reconnect with its last event id"));
      return;
    }
    this.#buffer.push(item);
    this.#wake?.();
  }

  /** Ends iteration after the buffered items; with an error, iteration throws it instead. */
  close(error: Error | null = null): void {
    if (this.#closedWith !== undefined) return;
    this.#closedWith = error;
    if (error) this.#buffer.length = 0;
    this.#wake?.();
  }

  async *drain(signal?: AbortSignal): AsyncGenerator<T> {
    const onAbort = () => this.close();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      for (;;) {
        const item = this.#buffer.shift();
        if (item !== undefined) {
          yield item;
          continue;
        }
        if (this.#closedWith !== undefined) {
          if (this.#closedWith) throw this.#closedWith;
          return;
        }
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
        this.#wake = null;
      }
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }
}
