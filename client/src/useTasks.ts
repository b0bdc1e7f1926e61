import { trpc } from "./trpc";

/** The tasks this API accepts (shared's `TaskInfo`), with their defaults and input schemas. */
export function useTasks() {
  // The task list changes only when the API is redeployed.
  return trpc.tasks.list.useQuery(undefined, { staleTime: 60_000 });
}
