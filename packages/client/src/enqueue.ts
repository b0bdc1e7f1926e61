import type { AppRouter } from "@conveyor/server";
import type { EnqueueOptions, TaskDefinition, TaskInput } from "@conveyor/shared";
import type { inferRouterOutputs } from "@trpc/server";
import type { BundledTask, BundledTaskName } from "./bundled.js";
import type { ConveyorClient } from "./createClient.js";

/** What `runs.enqueue` answers: the run's id and its first status (`queued`, or `scheduled` when delayed). */
export type EnqueuedRun = inferRouterOutputs<AppRouter>["runs"]["enqueue"];

/**
 * Enqueues a run of `task` — its definition, or a bundled task's name — its input typed by the
 * task's definition (the server validates it again with the same schema and refuses it with
 * BAD_REQUEST naming the field).
 */
export function enqueue<T extends TaskDefinition>(
  client: ConveyorClient,
  task: T,
  input: NoInfer<TaskInput<T>>,
  options?: EnqueueOptions,
): Promise<EnqueuedRun>;
export function enqueue<N extends BundledTaskName>(
  client: ConveyorClient,
  task: N,
  input: NoInfer<TaskInput<BundledTask<N>>>,
  options?: EnqueueOptions,
): Promise<EnqueuedRun>;
export function enqueue(
  client: ConveyorClient,
  task: TaskDefinition | string,
  input: unknown,
  options?: EnqueueOptions,
): Promise<EnqueuedRun> {
  const name = typeof task === "string" ? task : task.name;
  return client.runs.enqueue.mutate({ task: name, input, ...(options ? { options } : {}) });
}
