import type { EventDefinition, EventPayload } from "../eventDefinitions.js";
import type { FlowSpec } from "../flows.js";

/** A flow that starts whenever its event is emitted: how a flow declares `on`. */
export interface FlowTrigger {
  /** Names the flow in `events.emit`'s answer and in `events.definitions`. */
  readonly name: string;
  readonly event: EventDefinition;
  /** Only payloads it accepts start the flow. Called with the validated payload. */
  accepts?(payload: unknown): boolean;
  /** The flow to start, made from the validated payload (a chain, group/chord or DAG spec). */
  flow(payload: unknown): FlowSpec;
}

/** Declares a flow started by an event, typed from the event's payload. */
export function defineFlowTrigger<E extends EventDefinition>(spec: {
  name: string;
  on: E;
  filter?: (payload: EventPayload<E>) => boolean;
  flow: (payload: EventPayload<E>) => FlowSpec;
}): FlowTrigger {
  const { name, on: event, filter, flow } = spec;
  return Object.freeze(filter ? { name, event, accepts: filter, flow } : { name, event, flow });
}
