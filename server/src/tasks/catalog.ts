import {
  bundledEvents,
  bundledFlowTriggers,
  describeTask,
  type EventDefinition,
  type EventInfo,
  type FlowTrigger,
  type TaskDefinition,
  type TaskInfo,
  type TaskTrigger,
} from "@conveyor/shared";
import { z } from "zod";

/** A task subscribed to an event, through one of its triggers. */
export interface Subscriber {
  task: TaskDefinition;
  trigger: TaskTrigger;
}

/** The tasks an API process accepts, by name, and the events they and their steps use. */
export class TaskCatalog {
  readonly #byName = new Map<string, TaskDefinition>();
  readonly #events = new Map<string, EventDefinition>();
  readonly #subscribers = new Map<string, Subscriber[]>();
  readonly #flowTriggers = new Map<string, FlowTrigger[]>();

  constructor(
    definitions: Iterable<TaskDefinition>,
    events: Iterable<EventDefinition> = bundledEvents,
    flowTriggers: Iterable<FlowTrigger> = bundledFlowTriggers,
  ) {
    for (const definition of definitions) {
      if (this.#byName.has(definition.name)) throw new Error(`Task "${definition.name}" is defined twice`);
      this.#byName.set(definition.name, definition);
    }
    for (const event of events) this.#addEvent(event);
    for (const task of this.all()) {
      for (const trigger of task.on) {
        this.#addEvent(trigger.event);
        this.#subscribers.set(trigger.event.name, [
          ...(this.#subscribers.get(trigger.event.name) ?? []),
          { task, trigger },
        ]);
      }
    }
    for (const trigger of flowTriggers) {
      this.#addEvent(trigger.event);
      this.#flowTriggers.set(trigger.event.name, [...(this.#flowTriggers.get(trigger.event.name) ?? []), trigger]);
    }
  }

  #addEvent(event: EventDefinition): void {
    const known = this.#events.get(event.name);
    if (known && known !== event) throw new Error(`Event "${event.name}" is defined twice`);
    this.#events.set(event.name, event);
  }

  get(name: string): TaskDefinition | undefined {
    return this.#byName.get(name);
  }

  names(): string[] {
    return [...this.#byName.keys()].sort();
  }

  /** Descriptions for `tasks.list`; computed once, since converting schemas is not free. */
  describe(): TaskInfo[] {
    this.#described ??= this.all().map(describeTask);
    return this.#described;
  }

  #described: TaskInfo[] | undefined;

  all(): TaskDefinition[] {
    return this.names().flatMap((name) => this.#byName.get(name) ?? []);
  }

  event(name: string): EventDefinition | undefined {
    return this.#events.get(name);
  }

  eventNames(): string[] {
    return [...this.#events.keys()].sort();
  }

  /** The tasks that start a run when `event` is emitted. */
  subscribers(event: string): readonly Subscriber[] {
    return this.#subscribers.get(event) ?? [];
  }

  /** The flows that start when `event` is emitted. */
  flowTriggers(event: string): readonly FlowTrigger[] {
    return this.#flowTriggers.get(event) ?? [];
  }

  /** Descriptions for `events.definitions`, computed once. */
  describeEvents(): EventInfo[] {
    this.#describedEvents ??= this.eventNames().flatMap((name) => {
      const event = this.#events.get(name);
      if (!event) return [];
      return [
        {
          name,
          description: event.description,
          payloadSchema: z.toJSONSchema(event.payload, { io: "input", unrepresentable: "any" }),
          subscribers: this.subscribers(name).map((subscriber) => subscriber.task.name),
          flows: this.flowTriggers(name).map((trigger) => trigger.name),
        },
      ];
    });
    return this.#describedEvents;
  }

  #describedEvents: EventInfo[] | undefined;
}
