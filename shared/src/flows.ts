import { z } from "zod";
import { limits } from "./limits.js";
import { pageDirectionSchema, pageLimitSchema } from "./pagination.js";
import { enqueueOptionsSchema } from "./runs.js";
import { taskNameSchema } from "./task.js";

export const chainStepSchema = z.strictObject({
  task: taskNameSchema,
  /** Omitted: the step receives the previous step's output as its input. */
  input: z.unknown().optional(),
  options: enqueueOptionsSchema.optional(),
});

export const chainInputSchema = z.strictObject({
  steps: z
    .array(chainStepSchema)
    .min(1)
    .max(limits.flowNodes, `at most ${limits.flowNodes} steps per chain (limit flowNodes)`)
    .superRefine((steps, ctx) => {
      if (steps[0] && steps[0].input === undefined) {
        ctx.addIssue({ code: "custom", path: [0, "input"], message: "the first step needs an input" });
      }
    }),
});
export type ChainInput = z.infer<typeof chainInputSchema>;

export const groupMemberSchema = z.strictObject({
  task: taskNameSchema,
  input: z.unknown(),
  options: enqueueOptionsSchema.optional(),
});

export const groupInputSchema = z.strictObject({
  members: z
    .array(groupMemberSchema)
    .min(1)
    .max(limits.flowNodes - 1, `at most ${limits.flowNodes - 1} members per group (limit flowNodes)`),
  /** With a callback the group is a chord: it runs once every member succeeded, with `{ results }`. */
  callback: z
    .strictObject({
      task: taskNameSchema,
      /** Merged with `{ results }`, the members' outputs in member order. */
      input: z.record(z.string(), z.unknown()).optional(),
      options: enqueueOptionsSchema.optional(),
    })
    .optional(),
});
export type GroupInput = z.infer<typeof groupInputSchema>;

export const dagNodeNameSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[\w.-]+$/, "may hold letters, digits, '_', '.' and '-' only");

export const dagNodeSchema = z.strictObject({
  name: dagNodeNameSchema,
  task: taskNameSchema,
  /** Omitted: the node receives `{ [parentName]: parentOutput }`. */
  input: z.unknown().optional(),
  dependsOn: z.array(dagNodeNameSchema).max(1_000).optional(),
  options: enqueueOptionsSchema.optional(),
});

export const dagInputSchema = z.strictObject({
  nodes: z
    .array(dagNodeSchema)
    .min(1)
    .max(limits.flowNodes, `at most ${limits.flowNodes} nodes per flow (limit flowNodes)`),
});
export type DagInput = z.infer<typeof dagInputSchema>;

/** A flow to enqueue, as a schedule stores it. */
export const flowSpecSchema = z.discriminatedUnion("kind", [
  chainInputSchema.extend({ kind: z.literal("chain") }),
  groupInputSchema.extend({ kind: z.literal("group") }),
  dagInputSchema.extend({ kind: z.literal("dag") }),
]);
export type FlowSpec = z.infer<typeof flowSpecSchema>;

export const flowKinds = ["chain", "group", "chord", "dag"] as const;
export type FlowKind = (typeof flowKinds)[number];
export const flowStatuses = ["running", "succeeded", "failed", "cancelled"] as const;
export const flowStatusSchema = z.enum(flowStatuses);
export type FlowStatus = z.infer<typeof flowStatusSchema>;

export const flowIdInputSchema = z.strictObject({ id: z.uuid() });

export const listFlowsInputSchema = z.strictObject({
  status: flowStatusSchema.optional(),
  cursor: z.uuid().optional(),
  limit: pageLimitSchema,
  direction: pageDirectionSchema,
});
