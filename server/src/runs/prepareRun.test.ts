import { defineTask } from "@conveyor/shared";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { keyQueue } from "./prepareRun.js";

const task = defineTask({
  name: "tenant.sync",
  description: "",
  input: z.object({ tenant: z.string() }),
  output: z.object({}),
  concurrencyKey: (input) => input.tenant,
  maxPerKey: 3,
});

describe("keyQueue", () => {
  it("spreads a key's runs over maxPerKey queues, picked from the run id", () => {
    const ids = Array.from({ length: 60 }, (_, i) => `01a23a18-0000-7000-8000-${i.toString(16).padStart(12, "0")}`);
    const queues = new Set(ids.map((id) => keyQueue(task, "acme", id, 3)));
    expect([...queues].sort()).toEqual(["tenant.sync/acme/0", "tenant.sync/acme/1", "tenant.sync/acme/2"]);
    expect(keyQueue(task, "acme", ids[0] ?? "", 1)).toBe("tenant.sync/acme");
  });

  it("hashes a key too long for graphile-worker's 128-character queue names, the same way every time", () => {
    const key = "k".repeat(200);
    const queue = keyQueue(task, key, "01a23a18-0000-7000-8000-000000000001", 1);
    expect(queue.length).toBeLessThanOrEqual(128);
    expect(queue).toBe(keyQueue(task, key, "01a23a18-0000-7000-8000-000000000002", 1));
    expect(queue).not.toBe(keyQueue(task, `${key}x`, "01a23a18-0000-7000-8000-000000000002", 1));
  });
});
