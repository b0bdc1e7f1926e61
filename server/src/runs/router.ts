import {
  enqueueItemSchema,
  enqueueManyInputSchema,
  listRunsInputSchema,
  rerunInputSchema,
  runIdInputSchema,
  runIdsInputSchema,
  watchRunInputSchema,
} from "@conveyor/shared";
import { cachedListingQuery, invalidateAfter } from "../cache/procedures.js";
import { watchRun } from "../events/watch.js";
import { readSteps } from "../steps/sql/readSteps.js";
import { operatorProcedure, router, viewerProcedure } from "../trpc.js";
import {
  cancelManyRuns,
  cancelRun,
  enqueueRuns,
  getRun,
  listRuns,
  rerunRun,
  retryManyRuns,
  retryRun,
} from "./service.js";

export const runsRouter = router({
  enqueue: operatorProcedure.input(enqueueItemSchema).mutation(({ ctx, input }) =>
    invalidateAfter(ctx, "enqueue", async () => {
      const [run] = await enqueueRuns(ctx.db, ctx.catalog, [input]);
      if (!run) throw new Error("enqueue returned no run");
      return run;
    }),
  ),

  /** All items in one transaction: every run is enqueued, or none. */
  enqueueMany: operatorProcedure.input(enqueueManyInputSchema).mutation(({ ctx, input }) =>
    invalidateAfter(ctx, "enqueue", async () => {
      const runs = await enqueueRuns(ctx.db, ctx.catalog, input.items, ["items"]);
      return { ids: runs.map((run) => run.id) };
    }),
  ),

  get: viewerProcedure.input(runIdInputSchema).query(({ ctx, input }) => getRun(ctx.db, input.id)),

  /** The run's durable steps: stored results, and the sleep or wait it is in with its deadline. */
  steps: viewerProcedure.input(runIdInputSchema).query(async ({ ctx, input }) => {
    await getRun(ctx.db, input.id);
    return readSteps(ctx.db, input.id);
  }),

  /** Micro-cached (≤ 1 s): run states change without the API's knowledge; enqueues invalidate at once. */
  list: cachedListingQuery("runs", listRunsInputSchema, (ctx, input) => listRuns(ctx.db, input)),

  /** The run's events: history, then live, ending with its terminal event. */
  watch: viewerProcedure
    .input(watchRunInputSchema)
    .subscription(({ ctx, input, signal }) => watchRun(ctx, input, signal)),

  /** Queued, scheduled and waiting runs are dropped; a running attempt is told to abort and its result discarded. */
  cancel: operatorProcedure
    .input(runIdInputSchema)
    .mutation(({ ctx, input }) => invalidateAfter(ctx, "runControl", () => cancelRun(ctx.db, input.id))),

  /** Bulk cancel, for the dashboard's selected rows; finished runs are skipped. */
  cancelMany: operatorProcedure
    .input(runIdsInputSchema)
    .mutation(({ ctx, input }) =>
      invalidateAfter(ctx, "runControl", async () => ({ cancelled: await cancelManyRuns(ctx.db, input.ids) })),
    ),

  /** Bulk retry of failed or cancelled runs; others are skipped. */
  retryMany: operatorProcedure
    .input(runIdsInputSchema)
    .mutation(({ ctx, input }) =>
      invalidateAfter(ctx, "runControl", async () => ({ retried: await retryManyRuns(ctx.db, input.ids) })),
    ),

  /** One more attempt for a failed or cancelled run. */
  retry: operatorProcedure
    .input(runIdInputSchema)
    .mutation(({ ctx, input }) => invalidateAfter(ctx, "runControl", () => retryRun(ctx.db, input.id))),

  /** A new run of the same task, linked to this one, with the given (or the same) input. */
  rerun: operatorProcedure
    .input(rerunInputSchema)
    .mutation(({ ctx, input }) =>
      invalidateAfter(ctx, "runControl", () => rerunRun(ctx.db, ctx.catalog, input.id, input.input)),
    ),
});
