import { completeWaitpointInputSchema, emitEventInputSchema } from "@conveyor/shared";
import { invalidateAfter } from "../cache/procedures.js";
import { operatorProcedure, router, viewerProcedure } from "../trpc.js";
import { completeWaitpoint, emitEventByName } from "./service.js";

/** Emitted events, served under `events.` beside the live feed of run events. */
export const emittedEventsRouter = router({
  /** Emits a typed event: starts its subscribers' runs and resumes the steps waiting for it, in one transaction. */
  emit: operatorProcedure
    .input(emitEventInputSchema)
    .mutation(({ ctx, input }) => invalidateAfter(ctx, "enqueue", () => emitEventByName(ctx.db, ctx.catalog, input))),

  /** Every event the API accepts, with its payload's JSON Schema and its subscribers. */
  definitions: viewerProcedure.query(({ ctx }) => ctx.catalog.describeEvents()),
});

/** A run's wait for an event, completed by hand: served as `runs.complete`. */
export const waitpointsRouter = router({
  /** Completes a waiting `waitForEvent` step with a payload of its event's schema, and resumes the run. */
  complete: operatorProcedure
    .input(completeWaitpointInputSchema)
    .mutation(({ ctx, input }) =>
      invalidateAfter(ctx, "runControl", () => completeWaitpoint(ctx.db, ctx.catalog, input)),
    ),
});
