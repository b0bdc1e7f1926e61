import {
  createScheduleInputSchema,
  listSchedulesInputSchema,
  previewScheduleInputSchema,
  scheduleIdInputSchema,
  updateScheduleInputSchema,
} from "@conveyor/shared";
import { cachedListingQuery, invalidateAfter } from "../cache/procedures.js";
import { adminProcedure, router, viewerProcedure } from "../trpc.js";
import {
  createSchedule,
  deleteSchedule,
  getSchedule,
  listSchedules,
  pauseSchedule,
  previewSchedule,
  resumeSchedule,
  updateSchedule,
} from "./service.js";

export const schedulesRouter = router({
  create: adminProcedure
    .input(createScheduleInputSchema)
    .mutation(({ ctx, input }) =>
      invalidateAfter(ctx, "scheduleWrite", () => createSchedule(ctx.db, ctx.catalog, input)),
    ),

  /** Takes effect at the next tick: a new expression or timezone is timed from now. */
  update: adminProcedure
    .input(updateScheduleInputSchema)
    .mutation(({ ctx, input }) =>
      invalidateAfter(ctx, "scheduleWrite", () => updateSchedule(ctx.db, ctx.catalog, input)),
    ),

  /** Runs it already enqueued stay, with their `scheduleId`. */
  delete: adminProcedure
    .input(scheduleIdInputSchema)
    .mutation(({ ctx, input }) => invalidateAfter(ctx, "scheduleWrite", () => deleteSchedule(ctx.db, input.id))),

  pause: adminProcedure
    .input(scheduleIdInputSchema)
    .mutation(({ ctx, input }) =>
      invalidateAfter(ctx, "scheduleWrite", () => pauseSchedule(ctx.db, ctx.catalog, input.id)),
    ),

  /** Fires again from the next fire time after now; times missed while paused are not enqueued. */
  resume: adminProcedure
    .input(scheduleIdInputSchema)
    .mutation(({ ctx, input }) =>
      invalidateAfter(ctx, "scheduleWrite", () => resumeSchedule(ctx.db, ctx.catalog, input.id)),
    ),

  get: viewerProcedure.input(scheduleIdInputSchema).query(({ ctx, input }) => getSchedule(ctx.db, input.id)),

  list: cachedListingQuery("schedules", listSchedulesInputSchema, (ctx, input) => listSchedules(ctx.db, input)),

  /** The expression in words and its next fire times, before anything is saved. */
  preview: viewerProcedure.input(previewScheduleInputSchema).query(({ input }) => previewSchedule(input)),
});
