import { router, viewerProcedure } from "../trpc.js";

export const tasksRouter = router({
  /** Every task this API accepts, with its defaults and its input as JSON Schema for forms. */
  list: viewerProcedure.query(({ ctx }) => ctx.catalog.describe()),
});
