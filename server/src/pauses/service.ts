import type { Pause, PauseTarget } from "@conveyor/shared";
import { and, asc, eq } from "drizzle-orm";
import { sendControl } from "../control/controlChannel.js";
import type { Executor } from "../db/client.js";
import { schema } from "../db/client.js";
import { pauseFlag } from "../jobs/runJobs.js";

/** Tells workers the set of pauses changed, so they reread it at once. */
async function announce(db: Executor): Promise<void> {
  await sendControl(db, { pausesChanged: true });
}

/** Pauses a task or queue: no run of it starts until it is resumed; attempts already running finish. */
export async function pause(db: Executor, target: PauseTarget, pausedBy: string): Promise<Pause> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(schema.pauses)
      .values({ ...target, pausedBy })
      .onConflictDoUpdate({ target: [schema.pauses.kind, schema.pauses.name], set: { kind: target.kind } })
      .returning();
    if (!row) throw new Error(`pausing ${target.kind} ${target.name} returned nothing`);
    await announce(tx);
    return row;
  });
}

/** Lets a paused task or queue start runs again; false when it was not paused. */
export async function resume(db: Executor, target: PauseTarget): Promise<boolean> {
  return db.transaction(async (tx) => {
    const removed = await tx
      .delete(schema.pauses)
      .where(and(eq(schema.pauses.kind, target.kind), eq(schema.pauses.name, target.name)))
      .returning();
    await announce(tx);
    return removed.length > 0;
  });
}

export function listPauses(db: Executor): Promise<Pause[]> {
  return db.select().from(schema.pauses).orderBy(asc(schema.pauses.kind), asc(schema.pauses.name));
}

/** The job flags workers must skip now; null when nothing is paused (graphile-worker then fetches in batches). */
export async function forbiddenFlags(db: Executor): Promise<string[] | null> {
  const flags = (await listPauses(db)).map(pauseFlag);
  return flags.length > 0 ? flags : null;
}
