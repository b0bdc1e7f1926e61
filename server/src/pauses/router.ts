import { pauseTargetSchema } from "@conveyor/shared";
import { operatorProcedure, router, viewerProcedure } from "../trpc.js";
import { listPauses, pause, resume } from "./service.js";

export const pausesRouter = router({
  list: viewerProcedure.query(({ ctx }) => listPauses(ctx.db)),

  /** No new run of the task or queue starts; running attempts finish. */
  pause: operatorProcedure
    .input(pauseTargetSchema)
    .mutation(({ ctx, input }) => pause(ctx.db, input, ctx.principal.name)),

  resume: operatorProcedure
    .input(pauseTargetSchema)
    .mutation(async ({ ctx, input }) => ({ resumed: await resume(ctx.db, input) })),
});
