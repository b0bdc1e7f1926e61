import { type LiveEvent, type Run, reportGenerate, sleep } from "@conveyor/shared";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ConveyorClient } from "./createClient.js";
import { RunCancelledError, RunFailedError, TaskMismatchError, WaitTimeoutError } from "./errors.js";
import { waitFor } from "./waitFor.js";

const runId = "01900000-0000-7000-8000-000000000001";

interface Handlers {
  onData: (value: { id: string; data: LiveEvent[] }) => void;
  onError: (error: unknown) => void;
  onComplete: () => void;
}

interface FakeSubscription {
  input: { id: string; lastEventId?: string };
  handlers: Handlers;
  isClosed: boolean;
}

let nextEventId = 1;

function event(type: LiveEvent["type"], payload: Record<string, unknown> = {}, task = "report.generate"): LiveEvent {
  const id = nextEventId++;
  return { id, runId, flowId: null, type, payload, createdAt: new Date(0), task, queue: null };
}

function run(overrides: Partial<Run>): Run {
  return {
    id: runId,
    task: "report.generate",
    status: "queued",
    input: {},
    output: null,
    error: null,
    concurrencyKey: null,
    attempts: 1,
    maxAttempts: 3,
    timeoutMs: 1_000,
    progress: null,
    queue: null,
    priority: 0,
    runAt: new Date(0),
    nextAttemptAt: null,
    workerId: null,
    flowId: null,
    flowNode: null,
    idempotencyKey: null,
    rerunOf: null,
    scheduleId: null,
    createdAt: new Date(0),
    startedAt: null,
    finishedAt: null,
    ...overrides,
  };
}

/** Just enough of the tRPC client for waitFor: `runs.watch.subscribe` and `runs.get.query`. */
function fakeClient(runs: Run[]) {
  const subscriptions: FakeSubscription[] = [];
  const gets: Run[] = [...runs];
  const client = {
    runs: {
      watch: {
        subscribe: (input: FakeSubscription["input"], handlers: Handlers) => {
          const subscription = { input, handlers, isClosed: false };
          subscriptions.push(subscription);
          return { unsubscribe: () => (subscription.isClosed = true) };
        },
      },
      get: {
        query: async () => {
          const next = gets.length > 1 ? gets.shift() : gets[0];
          if (!next) throw new Error("no run to return");
          return next;
        },
      },
    },
  } as unknown as ConveyorClient;
  /** The subscription waitFor holds now. */
  const current = () => {
    const subscription = subscriptions.at(-1);
    if (!subscription) throw new Error("waitFor has not subscribed");
    return subscription;
  };
  /** The events in one message, as a stream sends a batch. */
  const emit = (...events: LiveEvent[]) => {
    if (events.length > 0) current().handlers.onData({ id: String(events.at(-1)?.id), data: events });
  };
  return { client, subscriptions, current, emit };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("waitFor", () => {
  it("resolves with the output once the stream ends on success, reporting each progress", async () => {
    const fake = fakeClient([run({ status: "succeeded", output: { userId: 1, reportUrl: "/r.pdf" } })]);
    const progress: string[] = [];
    const waiting = waitFor(fake.client, runId, reportGenerate, {
      onProgress: ({ current, total, message }) => progress.push(`${current}/${total} ${message}`),
    });
    fake.emit(
      event("run.queued"),
      event("run.started", { attempt: 1 }),
      event("run.progress", { attempt: 1, current: 1, total: 5, message: "Step 1/5" }),
      event("run.progress", { attempt: 1, current: 5, total: 5, message: "Step 5/5" }),
      event("run.succeeded", { attempt: 1 }),
    );
    fake.current().handlers.onComplete();
    const output = await waiting;
    expect(output.reportUrl).toBe("/r.pdf");
    expect(progress).toEqual(["1/5 Step 1/5", "5/5 Step 5/5"]);
  });

  it("rejects with RunFailedError carrying the run's error", async () => {
    const error = {
      name: "NonRetryableError",
      message: "no such account",
      stack: null,
      attempt: 2,
      isRetryable: false,
    };
    const fake = fakeClient([run({ status: "failed", error, attempts: 2 })]);
    const waiting = waitFor(fake.client, runId);
    fake.emit(event("run.failed", { attempt: 2, error }));
    fake.current().handlers.onComplete();
    const failure = await waiting.catch((caught: unknown) => caught);
    expect(failure).toBeInstanceOf(RunFailedError);
    expect(failure).toMatchObject({ runId, task: "report.generate", error: { name: "NonRetryableError", attempt: 2 } });
    expect((failure as Error).message).toContain("failed on attempt 2: NonRetryableError: no such account");
  });

  it("rejects with RunCancelledError carrying the reason the cancellation recorded", async () => {
    const fake = fakeClient([run({ status: "cancelled" })]);
    const waiting = waitFor(fake.client, runId);
    fake.emit(event("run.cancelled", { reason: "cancelled by request", wasRunning: true }));
    fake.current().handlers.onComplete();
    await expect(waiting).rejects.toBeInstanceOf(RunCancelledError);
    await expect(waiting).rejects.toMatchObject({ reason: "cancelled by request" });
  });

  it("a run retried after its terminal event is watched again from the last event seen", async () => {
    const fake = fakeClient([run({ status: "queued" }), run({ status: "succeeded", output: { ms: 5 } })]);
    const waiting = waitFor(fake.client, runId, sleep);
    const failed = event("run.failed", { attempt: 1 }, "conveyor.sleep");
    fake.emit(failed);
    fake.current().handlers.onComplete();
    await vi.waitFor(() => expect(fake.subscriptions).toHaveLength(2));
    expect(fake.current().input).toEqual({ id: runId, lastEventId: String(failed.id) });
    fake.emit(event("run.queued", { reason: "retry" }, "conveyor.sleep"));
    fake.current().handlers.onComplete();
    await expect(waiting).resolves.toEqual({ ms: 5 });
  });

  it("refuses a run of another task than the definition it was given", async () => {
    const fake = fakeClient([run({ status: "succeeded" })]);
    const waiting = waitFor(fake.client, runId, sleep);
    fake.emit(event("run.queued", {}, "report.generate"));
    await expect(waiting).rejects.toBeInstanceOf(TaskMismatchError);
    expect(fake.current().isClosed).toBe(true);
  });

  it("gives up after timeoutMs with WaitTimeoutError and lets go of the subscription", async () => {
    vi.useFakeTimers();
    const fake = fakeClient([run({ status: "running" })]);
    const waiting = waitFor(fake.client, runId, { timeoutMs: 1_000 });
    const outcome = waiting.catch((caught: unknown) => caught);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await outcome).toBeInstanceOf(WaitTimeoutError);
    expect(fake.current().isClosed).toBe(true);
  });

  it("stops waiting when its signal aborts, rejecting with the signal's reason", async () => {
    const fake = fakeClient([run({ status: "running" })]);
    const controller = new AbortController();
    const waiting = waitFor(fake.client, runId, { signal: controller.signal });
    controller.abort(new Error("enough"));
    await expect(waiting).rejects.toThrow("enough");
    expect(fake.current().isClosed).toBe(true);
  });

  it("passes on an error from the subscription (an unknown run, a refused token)", async () => {
    const fake = fakeClient([run({})]);
    const waiting = waitFor(fake.client, runId);
    fake.current().handlers.onError(new Error("NOT_FOUND"));
    await expect(waiting).rejects.toThrow("NOT_FOUND");
  });

  it("a callback that throws ends the wait with its error", async () => {
    const fake = fakeClient([run({})]);
    const waiting = waitFor(fake.client, runId, {
      onEvent: () => {
        throw new Error("callback broke");
      },
    });
    fake.emit(event("run.queued"));
    await expect(waiting).rejects.toThrow("callback broke");
    expect(fake.current().isClosed).toBe(true);
  });
});
