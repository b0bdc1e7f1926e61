import {
  isHistoryRewound,
  type LiveEvent,
  type Run,
  type RunProgress,
  type TaskDefinition,
  type TaskOutput,
} from "@conveyor/shared";
import { type BundledTask, type BundledTaskName, taskNamed } from "./bundled.js";
import type { ConveyorClient } from "./createClient.js";
import { RunCancelledError, RunFailedError, TaskMismatchError, WaitTimeoutError } from "./errors.js";

export interface WaitForOptions {
  /** Called with each progress report of the run, oldest first, including those made before the call. */
  onProgress?: ((progress: RunProgress, event: LiveEvent) => void) | undefined;
  /** Called with every event of the run (status changes, progress, log lines), oldest first. */
  onEvent?: ((event: LiveEvent) => void) | undefined;
  /** Stops waiting and rejects with the signal's reason; the run itself goes on. */
  signal?: AbortSignal | undefined;
  /** Gives up after this many milliseconds with a `WaitTimeoutError`; the run goes on. Default: no limit. */
  timeoutMs?: number | undefined;
}

/**
 * Waits for a run to finish, following `runs.watch` (its history, then live; resumed after the
 * last event seen when the connection drops). Resolves with the run's output when it succeeds,
 * rejects with `RunFailedError` or `RunCancelledError` otherwise. Given the task's definition or a
 * bundled task's name, the output is typed (and a run of another task is refused with
 * `TaskMismatchError`).
 */
export function waitFor<T extends TaskDefinition>(
  client: ConveyorClient,
  runId: string,
  task: T,
  options?: WaitForOptions,
): Promise<TaskOutput<T>>;
export function waitFor<N extends BundledTaskName>(
  client: ConveyorClient,
  runId: string,
  task: N,
  options?: WaitForOptions,
): Promise<TaskOutput<BundledTask<N>>>;
export function waitFor(client: ConveyorClient, runId: string, options?: WaitForOptions): Promise<unknown>;
export function waitFor(
  client: ConveyorClient,
  runId: string,
  taskOrOptions?: TaskDefinition | string | WaitForOptions,
  maybeOptions?: WaitForOptions,
): Promise<unknown> {
  const named = typeof taskOrOptions === "string" || isTaskDefinition(taskOrOptions);
  const task = named ? taskNamed(taskOrOptions) : undefined;
  const options: WaitForOptions = (named ? maybeOptions : taskOrOptions) ?? {};
  const { signal, timeoutMs } = options;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    let lastEventId: string | undefined;
    let cancelReason: string | null = null;
    let subscription: { unsubscribe(): void } | undefined;
    let isSettled = false;

    const settle = (outcome: () => void) => {
      if (isSettled) return;
      isSettled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      subscription?.unsubscribe();
      outcome();
    };
    const fail = (error: unknown) => settle(() => reject(error));
    const onAbort = () => fail(signal?.reason);
    const timer =
      timeoutMs === undefined ? undefined : setTimeout(() => fail(new WaitTimeoutError(runId, timeoutMs)), timeoutMs);
    signal?.addEventListener("abort", onAbort, { once: true });

    const onEvent = (event: LiveEvent) => {
      if (task && event.task !== null && event.task !== task.name) {
        fail(new TaskMismatchError(runId, task.name, event.task));
        return;
      }
      if (event.type === "run.cancelled") cancelReason = stringOrNull(event.payload.reason);
      options.onEvent?.(event);
      if (event.type === "run.progress") options.onProgress?.(progressOf(event), event);
    };

    // The server ends the stream after the run's terminal event, and the run then holds the outcome.
    // A stream that ended otherwise (the API restarting) or a run retried since is watched again
    // from the last event seen; the EventSource waits for the server to come back.
    const conclude = async () => {
      let run: Run;
      try {
        run = await client.runs.get.query({ id: runId });
      } catch {
        watch();
        return;
      }
      if (isSettled) return;
      if (run.status === "succeeded") settle(() => resolve(run.output));
      else if (run.status === "failed") fail(new RunFailedError(run));
      else if (run.status === "cancelled") fail(new RunCancelledError(run, cancelReason));
      else watch();
    };

    const watch = () => {
      if (isSettled) return;
      subscription = client.runs.watch.subscribe(lastEventId ? { id: runId, lastEventId } : { id: runId }, {
        onData: ({ id, data: events }) => {
          lastEventId = id;
          try {
            for (const event of events) onEvent(event);
          } catch (error) {
            fail(error); // a throwing callback ends the wait rather than vanishing inside the link
          }
        },
        onError: (error) => {
          if (!isHistoryRewound(error)) {
            fail(error);
            return;
          }
          // A failover lost events this wait was sent: the run's stored history is what counts.
          lastEventId = undefined;
          cancelReason = null;
          watch();
        },
        onComplete: () => {
          if (!isSettled) void conclude();
        },
      });
    };

    watch();
  });
}

function isTaskDefinition(value: TaskDefinition | string | WaitForOptions | undefined): value is TaskDefinition {
  return typeof value === "object" && "name" in value && "input" in value && "output" in value;
}

function stringOrNull(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

/** A `run.progress` event's payload, in the shape of the run's `progress` column. */
export function progressOf(event: LiveEvent): RunProgress {
  const { current, total, message } = event.payload;
  return {
    current: typeof current === "number" ? current : 0,
    total: typeof total === "number" ? total : null,
    message: stringOrNull(message),
  };
}
