import { z } from "zod";

/** A named unit of durable work inside a run: a step's stored result, a sleep, or a wait for an event. */
export const stepKinds = ["step", "sleep", "wait"] as const;
export const stepKindSchema = z.enum(stepKinds);
export type StepKind = z.infer<typeof stepKindSchema>;

export const stepStatuses = ["completed", "waiting", "timed_out"] as const;
export const stepStatusSchema = z.enum(stepStatuses);
export type StepStatus = z.infer<typeof stepStatusSchema>;

export const stepNameSchema = z.string().min(1).max(200);

export const runStepSchema = z.object({
  name: z.string(),
  kind: stepKindSchema,
  status: stepStatusSchema,
  /** A completed step's stored result, or the payload that completed a wait. */
  output: z.unknown(),
  /** A sleep's wake-up time, or a wait's deadline. */
  waitUntil: z.date().nullable(),
  /** The event a wait is for. */
  eventName: z.string().nullable(),
  /** A wait only takes events whose payload contains this. */
  match: z.record(z.string(), z.unknown()).nullable(),
  /** The attempt that recorded it. */
  attempt: z.number().int(),
  startedAt: z.date(),
  finishedAt: z.date().nullable(),
});
export type RunStep = z.infer<typeof runStepSchema>;

/** Completes a run's waiting step by hand (an approval in the dashboard, a webhook). */
export const completeWaitpointInputSchema = z.strictObject({
  id: z.uuid(),
  /** The name the task gave its `waitForEvent` step. */
  waitpoint: stepNameSchema,
  /** Checked against the payload schema of the event the step waits for. */
  output: z.unknown(),
});
export type CompleteWaitpointInput = z.infer<typeof completeWaitpointInputSchema>;

export const completedWaitpointSchema = z.object({
  runId: z.uuid(),
  waitpoint: z.string(),
  /** False when the step had already been completed (a webhook delivered twice): nothing changed. */
  resumed: z.boolean(),
});
export type CompletedWaitpoint = z.infer<typeof completedWaitpointSchema>;
