import { z } from "zod";
import { pageDirectionSchema, pageLimitSchema } from "./pagination.js";

export const hotelInputSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  city: z.string().trim().min(1).max(100),
  country: z.string().trim().min(2).max(100),
  stars: z.number().int().min(1).max(5),
  /** Price of a night in cents, to keep money exact. */
  pricePerNightCents: z.number().int().min(0).max(100_000_00),
  rooms: z.number().int().min(1).max(10_000),
});
export type HotelInput = z.infer<typeof hotelInputSchema>;

export const hotelSchema = hotelInputSchema.extend({
  id: z.uuid(),
  createdAt: z.date(),
  updatedAt: z.date(),
});
export type Hotel = z.infer<typeof hotelSchema>;

export const updateHotelInputSchema = z.strictObject({ id: z.uuid(), changes: hotelInputSchema.partial() });
export const hotelIdInputSchema = z.strictObject({ id: z.uuid() });

export const listHotelsInputSchema = z.strictObject({
  city: z.string().trim().min(1).max(100).optional(),
  /** The id of the last hotel of the previous page (hotels are listed by name, then id). */
  cursor: z.uuid().optional(),
  limit: pageLimitSchema,

  direction: pageDirectionSchema,
});
