import { z } from "zod";
import { type TaskDefinition, taskDefaultsSchema } from "./task.js";

/** How `tasks.list` describes a task, so any client can render a form for it. */
export const taskInfoSchema = z.object({
  name: z.string(),
  description: z.string(),
  defaults: taskDefaultsSchema,
  inputSchema: z.record(z.string(), z.unknown()),
  outputSchema: z.record(z.string(), z.unknown()),
  /** For a task limited per key (`concurrencyKey`): how many of a key's runs may run at once; null otherwise. */
  maxPerKey: z.number().int().nullable(),
});
export type TaskInfo = z.infer<typeof taskInfoSchema>;

export function describeTask(definition: TaskDefinition): TaskInfo {
  return {
    name: definition.name,
    description: definition.description,
    defaults: definition.defaults,
    inputSchema: z.toJSONSchema(definition.input, { io: "input", unrepresentable: "any" }),
    outputSchema: z.toJSONSchema(definition.output, { io: "output", unrepresentable: "any" }),
    maxPerKey: definition.keyConcurrency?.maxPerKey ?? null,
  };
}
