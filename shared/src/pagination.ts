import { z } from "zod";
import { limits } from "./limits.js";

/** Rows per page of any listing: 50 unless asked, never more than the pageSize limit. */
export const pageLimitSchema = z
  .number()
  .int()
  .min(1)
  .max(limits.pageSize, `at most ${limits.pageSize} rows per page (limit pageSize)`)
  .default(50);

/** Sent by tRPC's infinite queries; listings only page forward, so it is accepted and ignored. */
export const pageDirectionSchema = z.enum(["forward", "backward"]).optional();
