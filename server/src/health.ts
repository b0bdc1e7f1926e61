import { sql } from "drizzle-orm";
import { publicProcedure } from "./trpc.js";

export const healthProcedure = publicProcedure.query(async ({ ctx }) => {
  await ctx.db.execute(sql`select 1`);
  return { status: "ok" as const, database: "ok" as const, time: new Date() };
});
