import { describeTask, type TaskDefinition, type TaskInfo } from "@conveyor/shared";

/** The tasks an API process accepts, by name. */
export class TaskCatalog {
  readonly #byName = new Map<string, TaskDefinition>();

  constructor(definitions: Iterable<TaskDefinition>) {
    for (const definition of definitions) {
      if (this.#byName.has(definition.name)) throw new Error(`Task "${definition.name}" is defined twice`);
      this.#byName.set(definition.name, definition);
    }
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
}
