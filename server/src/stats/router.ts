import { z } from "zod";
import { NotFoundError } from "../errors.js";
import { router, viewerProcedure } from "../trpc.js";
import { readOverview } from "./overview.js";
import { readKeyLoad } from "./sql/readKeyLoad.js";

export const statsRouter = router({
  /** Throughput per minute, failure rate, queue depth per queue and p50/p95 duration per task. */
  overview: viewerProcedure
    .input(z.strictObject({ windowMinutes: z.number().int().min(5).max(1_440).default(60) }))
    .query(({ ctx, input }) => readOverview(ctx.db, input.windowMinutes)),

  /** For a task limited per key: the keys with the most runs waiting, and which are at their limit. */
  keys: viewerProcedure
    .input(z.strictObject({ task: z.string().min(1).max(128), limit: z.number().int().min(1).max(100).default(10) }))
    .query(async ({ ctx, input }) => {
      const definition = ctx.catalog.get(input.task);
      if (!definition?.keyConcurrency) throw new NotFoundError(`task "${input.task}" is not limited per key`);
      const { maxPerKey } = definition.keyConcurrency;
      const keys = await readKeyLoad(ctx.db, input.task, input.limit);
      return {
        task: input.task,
        maxPerKey,
        keys: keys.map((key) => ({ ...key, isAtLimit: key.running >= maxPerKey })),
      };
    }),
});
