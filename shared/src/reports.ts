import { z } from "zod";
import { pageDirectionSchema, pageLimitSchema } from "./pagination.js";

/** A report built by `report.generate`: one per user and version. */
export const reportSchema = z.object({
  id: z.number().int(),
  userId: z.number().int(),
  version: z.number().int(),
  /** The run that built it; later runs for the same user and version return it as it is. */
  runId: z.uuid(),
  reportUrl: z.string(),
  createdAt: z.date(),
});
export type Report = z.infer<typeof reportSchema>;

export const listReportsInputSchema = z.strictObject({
  userId: z.number().int().positive().optional(),
  /** The id of the last report of the previous page (reports are listed newest first). */
  cursor: z.number().int().positive().optional(),
  limit: pageLimitSchema,
  direction: pageDirectionSchema,
});
