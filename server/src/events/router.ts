import { emitEventInputSchema, eventFeedInputSchema } from "@conveyor/shared";
import { invalidateAfter } from "../cache/procedures.js";
import { emitEventByName } from "../eventTriggers/service.js";
import { operatorProcedure, router, viewerProcedure } from "../trpc.js";
import { eventFeed } from "./watch.js";

export const eventsRouter = router({
  /** Live events, filtered by task, queue or status; resumes after `lastEventId` without gaps. */
  feed: viewerProcedure
    .input(eventFeedInputSchema)
    .subscription(({ ctx, input, signal }) => eventFeed(ctx, input, signal)),

  /** Emits a typed event: starts its subscribers' runs and resumes the steps waiting for it, in one transaction. */
  emit: operatorProcedure
    .input(emitEventInputSchema)
    .mutation(({ ctx, input }) => invalidateAfter(ctx, "enqueue", () => emitEventByName(ctx.db, ctx.catalog, input))),

  /** Every event the API accepts, with its payload's JSON Schema and its subscribers. */
  definitions: viewerProcedure.query(({ ctx }) => ctx.catalog.describeEvents()),
});
