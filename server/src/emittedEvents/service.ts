import {
  type CompletedWaitpoint,
  type CompleteWaitpointInput,
  type EmitEventInput,
  type EmittedEvent,
  type EnqueueItem,
  type EventDefinition,
  type EventPayloadInput,
  eventPayloadBytes,
} from "@conveyor/shared";
import { and, eq } from "drizzle-orm";
import { v7 as uuidv7 } from "uuid";
import type { Executor } from "../db/client.js";
import { schema } from "../db/client.js";
import { InputError, type InputIssue, issuesFromZod, NotFoundError } from "../errors.js";
import { enqueueFlow } from "../flows/service.js";
import { enqueueRuns } from "../runs/service.js";
import type { TaskCatalog } from "../tasks/catalog.js";
import { completeWait, completeWaits } from "./sql/completeWaits.js";
import { wakeRuns } from "./sql/wakeRuns.js";

/** Checks an event's payload against its schema; the parsed payload, or issues under `path`. */
function parsePayload(
  definition: EventDefinition,
  payload: unknown,
  path: (string | number)[],
): { ok: true; value: unknown } | { ok: false; issues: InputIssue[] } {
  const size = Buffer.byteLength(JSON.stringify(payload ?? null));
  if (size > eventPayloadBytes) {
    return { ok: false, issues: [{ path, message: `is ${size} bytes, over the limit of ${eventPayloadBytes}` }] };
  }
  const parsed = definition.payload.safeParse(payload);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, issues: issuesFromZod(parsed.error, path) };
}

/**
 * Emits a typed event: in one transaction (the caller's, when `db` is one) it records the event,
 * enqueues a run of every subscribed task whose filter accepts it, and resumes every step waiting
 * for it. An unknown name or a bad payload is an `InputError` naming the field, and nothing is
 * written. A repeated idempotency key starts nothing and returns the first emit.
 */
export async function emitEventByName(
  db: Executor,
  catalog: TaskCatalog,
  input: EmitEventInput,
): Promise<EmittedEvent> {
  const definition = catalog.event(input.name);
  if (!definition) {
    throw new InputError([
      { path: ["name"], message: `unknown event "${input.name}" (known: ${catalog.eventNames().join(", ")})` },
    ]);
  }
  const payload = parsePayload(definition, input.payload, ["payload"]);
  if (!payload.ok) throw new InputError(payload.issues);

  const items: EnqueueItem[] = [];
  for (const { task, trigger } of catalog.subscribers(definition.name)) {
    if (trigger.accepts && !trigger.accepts(payload.value)) continue;
    const idempotencyKey = input.idempotencyKey
      ? `event:${definition.name}:${input.idempotencyKey}:${task.name}`
      : undefined;
    items.push({
      task: task.name,
      input: trigger.input(payload.value),
      ...(idempotencyKey ? { options: { idempotencyKey } } : {}),
    });
  }

  return db.transaction(async (tx) => {
    const id = uuidv7();
    const [inserted] = await tx
      .insert(schema.emittedEvents)
      .values({ id, name: definition.name, payload: payload.value, idempotencyKey: input.idempotencyKey ?? null })
      .onConflictDoNothing()
      .returning({ id: schema.emittedEvents.id });
    if (!inserted && input.idempotencyKey) {
      const [first] = await tx
        .select()
        .from(schema.emittedEvents)
        .where(
          and(
            eq(schema.emittedEvents.name, definition.name),
            eq(schema.emittedEvents.idempotencyKey, input.idempotencyKey),
          ),
        );
      if (!first)
        throw new Error(`event "${definition.name}" with key ${input.idempotencyKey} was neither new nor found`);
      return {
        id: first.id,
        name: first.name,
        runs: first.runs,
        flows: first.flows,
        resumedRunIds: first.resumedRunIds,
        isDuplicate: true,
      };
    }
    // The subscribers' inputs come from the payload; a mapping the task's schema rejects is reported under it.
    const runs = await enqueueRuns(tx, catalog, items, ["payload", "subscribers"]);
    const flows: { id: string; name: string }[] = [];
    for (const [index, trigger] of catalog.flowTriggers(definition.name).entries()) {
      if (trigger.accepts && !trigger.accepts(payload.value)) continue;
      const flow = await enqueueFlow(tx, catalog, trigger.flow(payload.value), {
        pathPrefix: ["payload", "flows", index],
      });
      flows.push({ id: flow.id, name: trigger.name });
    }
    const resumed = await wakeRuns(
      tx,
      await completeWaits(tx, definition.name, payload.value),
      `event ${definition.name}`,
    );
    const started = runs.map((run, index) => ({ id: run.id, task: items[index]?.task ?? "" }));
    await tx
      .update(schema.emittedEvents)
      .set({ runs: started, flows, resumedRunIds: resumed })
      .where(eq(schema.emittedEvents.id, id));
    return { id, name: definition.name, runs: started, flows, resumedRunIds: resumed, isDuplicate: false };
  });
}

/** `emitEventByName` for server code, with the payload typed by the event's definition. */
export function emitEvent<E extends EventDefinition>(
  db: Executor,
  catalog: TaskCatalog,
  event: E,
  payload: EventPayloadInput<E>,
  options: { idempotencyKey?: string } = {},
): Promise<EmittedEvent> {
  return emitEventByName(db, catalog, { name: event.name, payload, ...options });
}

/**
 * Completes a run's waiting `waitForEvent` step by hand (an approval, a webhook), with a payload
 * checked against the schema of the event it waits for, and resumes the run. Completing it again
 * changes nothing and says so.
 */
export async function completeWaitpoint(
  db: Executor,
  catalog: TaskCatalog,
  input: CompleteWaitpointInput,
): Promise<CompletedWaitpoint> {
  const [step] = await db
    .select()
    .from(schema.runSteps)
    .where(and(eq(schema.runSteps.runId, input.id), eq(schema.runSteps.name, input.waitpoint)));
  if (!step) throw new NotFoundError(`run ${input.id} has no step "${input.waitpoint}"`);
  if (step.kind !== "wait" || !step.eventName) {
    throw new InputError([
      { path: ["waitpoint"], message: `step "${input.waitpoint}" is a ${step.kind}, not a wait for an event` },
    ]);
  }
  const definition = catalog.event(step.eventName);
  if (!definition)
    throw new Error(`step "${input.waitpoint}" waits for event "${step.eventName}", which this API does not know`);
  const payload = parsePayload(definition, input.output, ["output"]);
  if (!payload.ok) throw new InputError(payload.issues);
  return db.transaction(async (tx) => {
    const completed = await completeWait(tx, input.id, input.waitpoint, payload.value);
    if (completed) await wakeRuns(tx, [input.id], `waitpoint ${input.waitpoint} completed`);
    return { runId: input.id, waitpoint: input.waitpoint, resumed: completed };
  });
}
