import { type bundledEvents, bundledTasks, type EventDefinition, type TaskDefinition } from "@conveyor/shared";

/** The name of a task that ships with Conveyor: `"report.generate"`, `"email.send"`, … */
export type BundledTaskName = (typeof bundledTasks)[number]["name"];

/** The bundled task of that name. */
export type BundledTask<N extends BundledTaskName> = Extract<(typeof bundledTasks)[number], { name: N }>;

/** The name of an event the API accepts: `"user.registered"`, … */
export type BundledEventName = (typeof bundledEvents)[number]["name"];

/** The bundled event of that name. */
export type BundledEvent<N extends BundledEventName> = Extract<(typeof bundledEvents)[number], { name: N }>;

const tasksByName: ReadonlyMap<string, TaskDefinition> = new Map(bundledTasks.map((task) => [task.name, task]));

/** A task given by its definition or by a bundled task's name, as its definition. */
export function taskNamed(task: TaskDefinition | string): TaskDefinition | undefined {
  return typeof task === "string" ? tasksByName.get(task) : task;
}

/** An event given by its definition or by name, as the name the API takes. */
export function eventName(event: EventDefinition | string): string {
  return typeof event === "string" ? event : event.name;
}
