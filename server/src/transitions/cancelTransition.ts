import { sql } from "drizzle-orm";
import { RunTransition } from "./runTransition.js";

/** A cancellation: the run's `run.cancelled` event, its end counted into the overview. */
export const cancelTransition = (reason: string) =>
  new RunTransition({
    changed: "cancelled",
    event: {
      type: sql`'run.cancelled'`,
      payload: sql`jsonb_build_object('reason', ${reason}::text, 'wasRunning', was_running)`,
    },
    rollUp: { sign: 1 },
  });
