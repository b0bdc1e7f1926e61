import type { RunStep } from "@conveyor/shared";
import { asc, eq, getTableColumns } from "drizzle-orm";
import type { Executor } from "../../db/client.js";
import { schema } from "../../db/client.js";

/** A run's steps in the order they began, as the run page and a resumed attempt read them. */
export async function readSteps(db: Executor, runId: string): Promise<RunStep[]> {
  const { runId: _runId, ...columns } = getTableColumns(schema.runSteps);
  return db
    .select(columns)
    .from(schema.runSteps)
    .where(eq(schema.runSteps.runId, runId))
    .orderBy(asc(schema.runSteps.startedAt), asc(schema.runSteps.name));
}
