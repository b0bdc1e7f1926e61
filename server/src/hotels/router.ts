import { hotelIdInputSchema, hotelInputSchema, listHotelsInputSchema, updateHotelInputSchema } from "@conveyor/shared";
import { cachedListingQuery, invalidateAfter } from "../cache/procedures.js";
import { operatorProcedure, router } from "../trpc.js";
import { createHotel, deleteHotel, listHotels, updateHotel } from "./service.js";

export const hotelsRouter = router({
  /** Read through the cache; any hotel write invalidates it exactly. */
  list: cachedListingQuery("hotels", listHotelsInputSchema, (ctx, input) => listHotels(ctx.db, input)),

  create: operatorProcedure
    .input(hotelInputSchema)
    .mutation(({ ctx, input }) => invalidateAfter(ctx, "hotelWrite", () => createHotel(ctx.db, input))),

  update: operatorProcedure
    .input(updateHotelInputSchema)
    .mutation(({ ctx, input }) =>
      invalidateAfter(ctx, "hotelWrite", () => updateHotel(ctx.db, input.id, input.changes)),
    ),

  delete: operatorProcedure
    .input(hotelIdInputSchema)
    .mutation(({ ctx, input }) => invalidateAfter(ctx, "hotelWrite", () => deleteHotel(ctx.db, input.id))),
});
