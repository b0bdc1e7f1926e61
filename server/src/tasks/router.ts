import { router, viewerProcedure } from "../trpc.js";

export const tasksRouter = router({
  /**
   * Every task this API accepts, with its defaults and its input as JSON Schema for forms. Served
   * from the process's own catalog (described once): nothing to read, so nothing to cache.
   */
  list: viewerProcedure.query(({ ctx }) => ctx.catalog.describe()),
});
