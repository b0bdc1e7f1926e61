import { z } from "zod";
import { limits } from "./limits.js";
import { taskNameSchema } from "./task.js";

/** A typed event: its name and the schema of its payload, declared once here and imported everywhere. */
export interface EventDefinition<Name extends string = string, Payload extends z.ZodType = z.ZodType> {
  readonly name: Name;
  readonly description: string;
  readonly payload: Payload;
}

/** What a subscriber or a waiting step receives: the payload after its schema applied defaults. */
export type EventPayload<E extends EventDefinition> = z.output<E["payload"]>;
/** What an emitter passes. */
export type EventPayloadInput<E extends EventDefinition> = z.input<E["payload"]>;

/** Event names follow the rule task names follow. */
export const eventNameSchema = taskNameSchema;

/** Declares an event once; tasks subscribe to it (`on`), steps wait for it, the API emits it. */
export function defineEvent<const Name extends string, Payload extends z.ZodType>(spec: {
  name: Name;
  description: string;
  payload: Payload;
}): EventDefinition<Name, Payload> {
  eventNameSchema.parse(spec.name);
  return Object.freeze({ name: spec.name, description: spec.description, payload: spec.payload });
}

export const emitEventInputSchema = z.strictObject({
  name: z.string().min(1).max(128),
  /** Checked against the named event's schema by the server. */
  payload: z.unknown(),
  /** A second emit with the same name and key starts nothing and returns the first. */
  idempotencyKey: z.string().min(1).max(200).optional(),
});
export type EmitEventInput = z.infer<typeof emitEventInputSchema>;

export const emittedEventSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  /** The runs of the tasks subscribed to it, started in the emit's transaction. */
  runs: z.array(z.object({ id: z.uuid(), task: z.string() })),
  /** The flows it started (flows declared with `defineFlowTrigger`). */
  flows: z.array(z.object({ id: z.uuid(), name: z.string() })),
  /** The runs whose waiting step it completed. */
  resumedRunIds: z.array(z.uuid()),
  /** True when the idempotency key had been used: nothing was started or resumed this time. */
  isDuplicate: z.boolean(),
});
export type EmittedEvent = z.infer<typeof emittedEventSchema>;

/** How `events.definitions` describes an event, so any client can render a form for its payload. */
export const eventInfoSchema = z.object({
  name: z.string(),
  description: z.string(),
  payloadSchema: z.record(z.string(), z.unknown()),
  /** The tasks that start a run when it is emitted. */
  subscribers: z.array(z.string()),
  /** The flows it starts. */
  flows: z.array(z.string()),
});
export type EventInfo = z.infer<typeof eventInfoSchema>;

/** The most an emitted payload may weigh, like a run's input. */
export const eventPayloadBytes = limits.runInputBytes;
