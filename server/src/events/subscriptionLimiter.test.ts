import { TRPCError } from "@trpc/server";
import { describe, expect, it } from "vitest";
import { SubscriptionLimiter } from "./subscriptionLimiter.js";

describe("SubscriptionLimiter", () => {
  it("refuses a token's subscription over the limit, naming it, and frees slots on release", () => {
    const limiter = new SubscriptionLimiter(2);
    const first = limiter.acquire("token-a");
    limiter.acquire("token-a");
    expect(() => limiter.acquire("token-a")).toThrow(/limit subscriptionsPerToken/);
    expect(() => limiter.acquire("token-a")).toThrow(TRPCError);
    expect(() => limiter.acquire("token-a")).toThrow(expect.objectContaining({ code: "TOO_MANY_REQUESTS" }));
    expect(() => limiter.acquire("token-b")).not.toThrow();
    first();
    first();
    expect(() => limiter.acquire("token-a")).not.toThrow();
    expect(() => limiter.acquire("token-a")).toThrow();
  });
});
