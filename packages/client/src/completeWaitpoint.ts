import type { CompletedWaitpoint, EventDefinition, EventPayloadInput } from "@conveyor/shared";
import type { ConveyorClient } from "./createClient.js";

/**
 * Completes a run's waiting `waitForEvent` step by hand (an approval, a webhook) and resumes the
 * run; `resumed` is false when the step had already been completed. `event` is the event the step
 * waits for and types `output`; the server checks the output against the schema of the step's own
 * event and refuses it with BAD_REQUEST naming the field.
 */
export function completeWaitpoint<E extends EventDefinition>(
  client: ConveyorClient,
  runId: string,
  waitpoint: string,
  _event: E,
  output: NoInfer<EventPayloadInput<E>>,
): Promise<CompletedWaitpoint> {
  return client.runs.complete.mutate({ id: runId, waitpoint, output });
}
