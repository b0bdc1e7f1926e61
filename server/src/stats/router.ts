import { z } from "zod";
import { router, viewerProcedure } from "../trpc.js";
import { readOverview } from "./overview.js";

export const statsRouter = router({
  /** Throughput per minute, failure rate, queue depth per queue and p50/p95 duration per task. */
  overview: viewerProcedure
    .input(z.strictObject({ windowMinutes: z.number().int().min(5).max(1_440).default(60) }))
    .query(({ ctx, input }) => readOverview(ctx.db, input.windowMinutes)),
});
