import { listReportsInputSchema } from "@conveyor/shared";
import { cachedListingQuery } from "../cache/procedures.js";
import { router } from "../trpc.js";
import { listReports } from "./service.js";

export const reportsRouter = router({
  /**
   * Read through the cache. Reports are written by workers, which do not tell the API, so this
   * namespace lives a second at most instead of being invalidated.
   */
  list: cachedListingQuery("reports", listReportsInputSchema, (ctx, input) => listReports(ctx.db, input)),
});
