export class SubscriberTooSlowError extends Error {
  override name = "SubscriberTooSlowError";
}

export interface EventChannelOptions<T> {
  /** Items (as `sizeOf` counts them) buffered beyond which the subscriber is cut off. */
  capacity: number;
  /** How much of the capacity one item takes: a batch counts its events. One by default. */
  sizeOf?: (item: T) => number;
  /** Called once when the buffer overflows, after the channel closed with the error it throws. */
  onOverflow?: (error: SubscriberTooSlowError) => void;
}

/**
 * An async-iterable queue between the hub (which pushes) and one subscription (which pulls),
 * bounded: a subscriber that stops pulling is cut off rather than allowed to grow the process's
 * memory (it resumes from the table on reconnect).
 */
export class EventChannel<T> {
  readonly #buffer: T[] = [];
  #buffered = 0;
  #wake: (() => void) | null = null;
  #closedWith: Error | null | undefined;

  constructor(private readonly options: EventChannelOptions<T>) {}

  /** What is waiting to be pulled, as `sizeOf` counts it. */
  get buffered(): number {
    return this.#buffered;
  }

  push(item: T): void {
    if (this.#closedWith !== undefined) return;
    const size = this.options.sizeOf?.(item) ?? 1;
    if (this.#buffered + size > this.options.capacity) {
      const error = new SubscriberTooSlowError(
        `subscriber fell more than ${this.options.capacity} events behind (LIVE_BUFFER_EVENTS); reconnect with its last event id`,
      );
      this.close(error);
      this.options.onOverflow?.(error);
      return;
    }
    this.#buffer.push(item);
    this.#buffered += size;
    this.#wake?.();
  }

  /** Ends iteration after the buffered items; with an error, iteration throws it instead. */
  close(error: Error | null = null): void {
    if (this.#closedWith !== undefined) return;
    this.#closedWith = error;
    if (error) {
      this.#buffer.length = 0;
      this.#buffered = 0;
    }
    this.#wake?.();
  }

  async *drain(signal?: AbortSignal): AsyncGenerator<T> {
    const onAbort = () => this.close();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      for (;;) {
        const item = this.#buffer.shift();
        if (item !== undefined) {
          this.#buffered -= this.options.sizeOf?.(item) ?? 1;
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
