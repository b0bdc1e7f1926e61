import {
  chainInputSchema,
  dagInputSchema,
  flowIdInputSchema,
  groupInputSchema,
  listFlowsInputSchema,
  watchFlowInputSchema,
} from "@conveyor/shared";
import { cachedListingQuery, invalidateAfter } from "../cache/procedures.js";
import { watchFlow } from "../events/watch.js";
import { operatorProcedure, router, viewerProcedure } from "../trpc.js";
import { cancelFlow } from "./cancelFlow.js";
import { enqueueChain, enqueueDag, enqueueGroup, getFlow, listFlows } from "./service.js";

export const flowsRouter = router({
  /** Steps run one after another; a step without input receives the previous step's output. */
  chain: operatorProcedure
    .input(chainInputSchema)
    .mutation(({ ctx, input }) => invalidateAfter(ctx, "flowWrite", () => enqueueChain(ctx.db, ctx.catalog, input))),

  /** Members run in parallel; with a callback it is a chord. */
  group: operatorProcedure
    .input(groupInputSchema)
    .mutation(({ ctx, input }) => invalidateAfter(ctx, "flowWrite", () => enqueueGroup(ctx.db, ctx.catalog, input))),

  dag: operatorProcedure
    .input(dagInputSchema)
    .mutation(({ ctx, input }) => invalidateAfter(ctx, "flowWrite", () => enqueueDag(ctx.db, ctx.catalog, input))),

  get: viewerProcedure.input(flowIdInputSchema).query(({ ctx, input }) => getFlow(ctx.db, input.id)),

  /** Micro-cached (≤ 1 s), as runs: flows finish without the API's knowledge. */
  list: cachedListingQuery("flows", listFlowsInputSchema, (ctx, input) => listFlows(ctx.db, input)),

  /** The flow's events: history, then live, ending when every run of it has finished. */
  watch: viewerProcedure
    .input(watchFlowInputSchema)
    .subscription(({ ctx, input, signal }) => watchFlow(ctx, input, signal)),

  /** Cancels every run of the flow not yet finished. */
  cancel: operatorProcedure
    .input(flowIdInputSchema)
    .mutation(({ ctx, input }) => invalidateAfter(ctx, "flowWrite", () => cancelFlow(ctx.db, input.id))),
});
