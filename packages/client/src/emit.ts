import type { EmittedEvent, EventDefinition, EventPayloadInput } from "@conveyor/shared";
import { type BundledEvent, type BundledEventName, eventName } from "./bundled.js";
import type { ConveyorClient } from "./createClient.js";

export interface EmitOptions {
  /** A second emit of the same event with the same key starts and resumes nothing, and answers the first. Default: none. */
  idempotencyKey?: string | undefined;
}

/**
 * Emits `event` — its definition, or a bundled event's name — its payload typed by the event's
 * definition (the server validates it again with the same schema and refuses it with BAD_REQUEST
 * naming the field): starts a run of each task subscribed to it and resumes the runs waiting for
 * it. Answers the event's id, the runs it started and those it resumed.
 */
export function emit<E extends EventDefinition>(
  client: ConveyorClient,
  event: E,
  payload: NoInfer<EventPayloadInput<E>>,
  options?: EmitOptions,
): Promise<EmittedEvent>;
export function emit<N extends BundledEventName>(
  client: ConveyorClient,
  event: N,
  payload: NoInfer<EventPayloadInput<BundledEvent<N>>>,
  options?: EmitOptions,
): Promise<EmittedEvent>;
export function emit(
  client: ConveyorClient,
  event: EventDefinition | string,
  payload: unknown,
  options?: EmitOptions,
): Promise<EmittedEvent> {
  const { idempotencyKey } = options ?? {};
  return client.events.emit.mutate({
    name: eventName(event),
    payload,
    ...(idempotencyKey ? { idempotencyKey } : {}),
  });
}
