import { sql } from "drizzle-orm";
import { z } from "zod";
import type { Executor } from "../db/client.js";

/** The channel on which the API tells workers what to do now: abort these running runs, reread the pauses. */
export const controlChannel = "conveyor_control";

export const controlMessageSchema = z.union([
  /** Abort the attempts of these runs, if running here: they were cancelled. */
  z.object({ cancel: z.array(z.uuid()) }),
  /** A task or queue was paused or resumed. */
  z.object({ pausesChanged: z.literal(true) }),
]);
export type ControlMessage = z.infer<typeof controlMessageSchema>;

/** Announces `message` to every worker, at the commit of the caller's transaction if it is in one. */
export async function sendControl(db: Executor, message: ControlMessage): Promise<void> {
  await db.execute(sql`select pg_notify(${controlChannel}, ${JSON.stringify(message)})`);
}

/** The message a notification carries, or null for one this version does not know. */
export function parseControl(payload: string | undefined): ControlMessage | null {
  try {
    return controlMessageSchema.safeParse(JSON.parse(payload ?? "null")).data ?? null;
  } catch {
    return null;
  }
}
