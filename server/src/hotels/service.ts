import type { Hotel, HotelInput, listHotelsInputSchema } from "@conveyor/shared";
import { and, asc, eq, gt, or, type SQL } from "drizzle-orm";
import type { z } from "zod";
import type { Executor } from "../db/client.js";
import { schema } from "../db/client.js";
import { NotFoundError } from "../errors.js";

export interface HotelPage {
  items: Hotel[];
  nextCursor: string | null;
}

/** Hotels by name (then id), keyset-paginated, optionally in one city. */
export async function listHotels(db: Executor, query: z.output<typeof listHotelsInputSchema>): Promise<HotelPage> {
  const { city, cursor, limit } = query;
  const conditions: SQL[] = [];
  if (city) conditions.push(eq(schema.hotels.city, city));
  if (cursor) {
    const [last] = await db
      .select({ name: schema.hotels.name })
      .from(schema.hotels)
      .where(eq(schema.hotels.id, cursor));
    if (last) {
      const after = or(
        gt(schema.hotels.name, last.name),
        and(eq(schema.hotels.name, last.name), gt(schema.hotels.id, cursor)),
      );
      if (after) conditions.push(after);
    }
  }
  const rows = await db
    .select()
    .from(schema.hotels)
    .where(and(...conditions))
    .orderBy(asc(schema.hotels.name), asc(schema.hotels.id))
    .limit(limit + 1);
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? (items.at(-1)?.id ?? null) : null };
}

export async function createHotel(db: Executor, input: HotelInput): Promise<Hotel> {
  const [row] = await db.insert(schema.hotels).values(input).returning();
  if (!row) throw new Error("hotel insert returned nothing");
  return row;
}

export async function updateHotel(db: Executor, id: string, changes: Partial<HotelInput>): Promise<Hotel> {
  const [row] = await db
    .update(schema.hotels)
    .set({ ...changes, updatedAt: new Date() })
    .where(eq(schema.hotels.id, id))
    .returning();
  if (!row) throw new NotFoundError(`hotel ${id} does not exist`);
  return row;
}

export async function deleteHotel(db: Executor, id: string): Promise<Hotel> {
  const [row] = await db.delete(schema.hotels).where(eq(schema.hotels.id, id)).returning();
  if (!row) throw new NotFoundError(`hotel ${id} does not exist`);
  return row;
}
