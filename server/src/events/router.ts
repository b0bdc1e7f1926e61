import { eventFeedInputSchema } from "@conveyor/shared";
import { router, viewerProcedure } from "../trpc.js";
import { eventFeed } from "./watch.js";

export const eventsRouter = router({
  /** Live events, filtered by task, queue or status; resumes after `lastEventId` without gaps. */
  feed: viewerProcedure
    .input(eventFeedInputSchema)
    .subscription(({ ctx, input, signal }) => eventFeed(ctx, input, signal)),
});
