import { router, viewerProcedure } from "../trpc.js";

export const cacheRouter = router({
  /** Hits, misses, errors, bypasses and loader time per namespace, since this process started. */
  stats: viewerProcedure.query(({ ctx }) => ({
    isAvailable: ctx.cache.isAvailable,
    outages: ctx.cache.outages,
    namespaces: ctx.cache.stats(),
  })),
});
