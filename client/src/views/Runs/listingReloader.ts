/**
 * The server may answer a listing from a cache up to this old (its `runs` micro-cache), so asking
 * again sooner cannot show more; it is also the most often the table reloads.
 */
const listingCacheMs = 1_000;

/** How many reloads a new run gets to show up before the table stops looking for it. */
const reloadsPerArrival = 2;

/**
 * Reloads the runs table's listing when the feed says it is missing runs: one reload at a time,
 * none sooner than the listing cache allows, and once more for a new run that a cached answer
 * did not have yet.
 */
export class ListingReloader {
  /** New runs the table should show, with the reloads each has left. */
  readonly #expected = new Map<string, number>();
  #isRunning = false;
  #isWanted = false;
  #isStopped = false;
  #lastStartedAt = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** `reload` reads the listing again and resolves to the ids it now holds. */
  constructor(private readonly reload: () => Promise<ReadonlySet<string>>) {}

  /** Whether the table is waiting for this run to show up. */
  isExpected(id: string): boolean {
    return this.#expected.has(id);
  }

  /** Reloads until these runs show up, or their reloads are spent. */
  expect(ids: Iterable<string>): void {
    for (const id of ids) this.#expected.set(id, reloadsPerArrival);
    this.request();
  }

  /** Reloads soon: now, or once the last reload has finished and the cache has turned over. */
  request(): void {
    if (this.#isStopped) return;
    if (this.#isRunning || this.#timer !== undefined) {
      this.#isWanted = true;
      return;
    }
    const wait = Math.max(0, this.#lastStartedAt + listingCacheMs - Date.now());
    this.#timer = setTimeout(() => void this.#run(), wait);
  }

  /** Stops looking for runs expected so far (the feed they came from has ended). */
  forget(): void {
    this.#expected.clear();
  }

  start(): void {
    this.#isStopped = false;
  }

  stop(): void {
    this.#isStopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #run(): Promise<void> {
    this.#timer = undefined;
    this.#isRunning = true;
    this.#isWanted = false;
    this.#lastStartedAt = Date.now();
    let loaded: ReadonlySet<string> = new Set();
    try {
      loaded = await this.reload();
    } catch {
      // The listing's own error state shows the failure; a later event asks again.
    } finally {
      this.#isRunning = false;
    }
    for (const [id, reloadsLeft] of this.#expected) {
      if (loaded.has(id) || reloadsLeft <= 1) this.#expected.delete(id);
      else this.#expected.set(id, reloadsLeft - 1);
    }
    if (this.#isWanted || this.#expected.size > 0) this.request();
  }
}
