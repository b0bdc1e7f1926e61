import { describe, expect, it } from "vitest";
import { z } from "zod";
import { userRegistered } from "./emittedEvents/userRegistered.js";
import { defineTask, onEvent } from "./task.js";

const input = z.object({ tenant: z.string() });
const output = z.object({});

describe("defineTask", () => {
  it("refuses a per-key limit together with a named queue, or a key without maxPerKey", () => {
    expect(() =>
      defineTask({
        name: "a.b",
        description: "",
        input,
        output,
        concurrencyKey: (i) => i.tenant,
        maxPerKey: 1,
        defaults: { queue: "q" },
      }),
    ).toThrow(/cannot name a queue/);
    expect(() => defineTask({ name: "a.b", description: "", input, output, concurrencyKey: (i) => i.tenant })).toThrow(
      /go together/,
    );
    expect(() =>
      defineTask({ name: "a.b", description: "", input, output, concurrencyKey: (i) => i.tenant, maxPerKey: 101 }),
    ).toThrow();
  });

  it("keeps a per-key rate limit's window in its defaults and its key function beside them", () => {
    const task = defineTask({
      name: "a.b",
      description: "",
      input,
      output,
      rateLimit: { max: 5, perMs: 1_000, key: (i) => i.tenant },
    });
    expect(task.defaults.rateLimit).toEqual({ max: 5, perMs: 1_000 });
    expect(task.rateLimitKey?.key({ tenant: "acme" })).toBe("acme");
  });

  it("turns a bare event into a trigger whose input is the payload, and keeps a filter", () => {
    const payloadTask = defineTask({
      name: "a.c",
      description: "",
      input: userRegistered.payload,
      output,
      on: [userRegistered],
    });
    const payload = {
      userId: 1,
      username: "u",
      email: "u@example.com",
      actor: "t",
      registeredAt: "2026-01-01T00:00:00.000Z",
    };
    expect(payloadTask.on[0]?.input(payload)).toBe(payload);
    const filtered = onEvent(userRegistered, {
      filter: (user) => user.userId > 1,
      input: (user) => ({ tenant: user.username }),
    });
    expect(filtered.accepts?.(payload)).toBe(false);
    expect(filtered.input(payload)).toEqual({ tenant: "u" });
  });
});
