import { enqueueItemSchema, enqueueManyInputSchema, listRunsInputSchema, runIdInputSchema } from "@conveyor/shared";
import { operatorProcedure, router, viewerProcedure } from "../trpc.js";
import { enqueueRuns, getRun, listRuns } from "./service.js";

export const runsRouter = router({
  enqueue: operatorProcedure.input(enqueueItemSchema).mutation(async ({ ctx, input }) => {
    const [run] = await enqueueRuns(ctx.db, ctx.catalog, [input]);
    if (!run) throw new Error("enqueue returned no run");
    return run;
  }),

  /** All items in one transaction: every run is enqueued, or none. */
  enqueueMany: operatorProcedure.input(enqueueManyInputSchema).mutation(async ({ ctx, input }) => {
    const runs = await enqueueRuns(ctx.db, ctx.catalog, input.items, ["items"]);
    return { ids: runs.map((run) => run.id) };
  }),

  get: viewerProcedure.input(runIdInputSchema).query(({ ctx, input }) => getRun(ctx.db, input.id)),

  list: viewerProcedure.input(listRunsInputSchema).query(({ ctx, input }) => listRuns(ctx.db, input)),
});
