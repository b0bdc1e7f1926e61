import { limits } from "@conveyor/shared";
import { TRPCError } from "@trpc/server";

/** Counts open subscriptions per token in this process, so one client cannot exhaust it. */
export class SubscriptionLimiter {
  readonly #open = new Map<string, number>();

  constructor(private readonly perToken: number = limits.subscriptionsPerToken) {}

  /** Takes a slot or throws TOO_MANY_REQUESTS naming the limit; returns the release function. */
  acquire(tokenId: string): () => void {
    const open = this.#open.get(tokenId) ?? 0;
    if (open >= this.perToken) {
      throw new TRPCError({
        code: "TOO_MANY_REQUESTS",
        message: `at most ${this.perToken} open subscriptions per token (limit subscriptionsPerToken)`,
      });
    }
    this.#open.set(tokenId, open + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const now = (this.#open.get(tokenId) ?? 1) - 1;
      if (now > 0) this.#open.set(tokenId, now);
      else this.#open.delete(tokenId);
    };
  }
}
