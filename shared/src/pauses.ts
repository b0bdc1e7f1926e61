import { z } from "zod";

/** What can be paused: a task (all its runs) or a named queue. */
export const pauseKinds = ["task", "queue"] as const;
export const pauseKindSchema = z.enum(pauseKinds);
export type PauseKind = z.infer<typeof pauseKindSchema>;

export const pauseTargetSchema = z.strictObject({
  kind: pauseKindSchema,
  name: z.string().min(1).max(128),
});
export type PauseTarget = z.infer<typeof pauseTargetSchema>;

export const pauseSchema = pauseTargetSchema.extend({
  pausedBy: z.string(),
  pausedAt: z.date(),
});
export type Pause = z.infer<typeof pauseSchema>;
