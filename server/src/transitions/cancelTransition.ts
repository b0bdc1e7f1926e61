import { sql } from "drizzle-orm";
import type { RunTransition } from "./runTransition.js";

/** A cancellation: the run's `run.cancelled` event, its end counted into the overview. */
export const cancelTransition = (reason: string): RunTransition => ({
  changed: "cancelled",
  event: {
    type: sql`'run.cancelled'`,
    payload: sql`jsonb_build_object('reason', ${reason}::text, 'wasRunning', was_running)`,
  },
  rollUp: { sign: 1 },
});
