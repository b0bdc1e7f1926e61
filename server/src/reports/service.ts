import type { listReportsInputSchema, Report } from "@conveyor/shared";
import { and, desc, eq, lt, type SQL } from "drizzle-orm";
import type { z } from "zod";
import type { Executor } from "../db/client.js";
import { schema } from "../db/client.js";

export interface ReportPage {
  items: Report[];
  nextCursor: number | null;
}

export async function findReport(db: Executor, userId: number, version: number): Promise<Report | null> {
  const [row] = await db
    .select()
    .from(schema.reports)
    .where(and(eq(schema.reports.userId, userId), eq(schema.reports.version, version)))
    .limit(1);
  return row ?? null;
}

/**
 * Keeps the report unless the user already has one of this version, and returns the one kept:
 * when two runs race, both answer with the first one's report.
 */
export async function saveReport(
  db: Executor,
  report: Pick<Report, "userId" | "version" | "runId" | "reportUrl">,
): Promise<Report> {
  const [inserted] = await db
    .insert(schema.reports)
    .values(report)
    .onConflictDoNothing({ target: [schema.reports.userId, schema.reports.version] })
    .returning();
  if (inserted) return inserted;
  const existing = await findReport(db, report.userId, report.version);
  if (!existing) throw new Error(`report ${report.userId}/${report.version} conflicted but cannot be found`);
  return existing;
}

/** Newest first, keyset-paginated on the id, optionally for one user. */
export async function listReports(db: Executor, query: z.output<typeof listReportsInputSchema>): Promise<ReportPage> {
  const { userId, cursor, limit } = query;
  const conditions: SQL[] = [];
  if (userId !== undefined) conditions.push(eq(schema.reports.userId, userId));
  if (cursor !== undefined) conditions.push(lt(schema.reports.id, cursor));
  const rows = await db
    .select()
    .from(schema.reports)
    .where(and(...conditions))
    .orderBy(desc(schema.reports.id))
    .limit(limit + 1);
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? (items.at(-1)?.id ?? null) : null };
}
