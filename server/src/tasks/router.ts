import { cachedListing } from "../cache/procedures.js";
import { router, viewerProcedure } from "../trpc.js";

export const tasksRouter = router({
  /** Every task this API accepts, with its defaults and its input as JSON Schema for forms. */
  list: viewerProcedure.query(({ ctx }) =>
    cachedListing(ctx, "tasks", ctx.catalog.names(), async () => ctx.catalog.describe()),
  ),
});
