import { isTerminal, runStatuses } from "@conveyor/shared";
import { and, eq, inArray } from "drizzle-orm";
import type { Executor } from "../db/client.js";
import { schema } from "../db/client.js";
import { NotFoundError } from "../errors.js";
import { cancelRuns } from "../runs/cancelRuns.js";
import { getFlow } from "./service.js";

const unfinishedStatuses = runStatuses.filter((status) => !isTerminal(status));

/** Marks the flow cancelled and cancels every run of it not yet finished. */
export async function cancelFlow(db: Executor, id: string) {
  const [flow] = await db
    .update(schema.flows)
    .set({ status: "cancelled" })
    .where(and(eq(schema.flows.id, id), eq(schema.flows.status, "running")))
    .returning({ id: schema.flows.id });
  if (!flow) {
    const [existing] = await db.select({ id: schema.flows.id }).from(schema.flows).where(eq(schema.flows.id, id));
    if (!existing) throw new NotFoundError(`flow ${id} does not exist`);
  }
  const open = await db
    .select({ id: schema.runs.id })
    .from(schema.runs)
    .where(and(eq(schema.runs.flowId, id), inArray(schema.runs.status, unfinishedStatuses)));
  await cancelRuns(
    db,
    open.map((run) => run.id),
    "its flow was cancelled",
  );
  return getFlow(db, id);
}
