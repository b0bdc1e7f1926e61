import { desc } from "drizzle-orm";
import { schema } from "../db/client.js";
import { router, viewerProcedure } from "../trpc.js";

export const workersRouter = router({
  /** Every worker process seen: host, pid, concurrency, tasks, heartbeat and state, newest first. */
  list: viewerProcedure.query(({ ctx }) =>
    ctx.db
      .select({
        id: schema.workers.id,
        host: schema.workers.host,
        pid: schema.workers.pid,
        concurrency: schema.workers.concurrency,
        tasks: schema.workers.tasks,
        state: schema.workers.state,
        startedAt: schema.workers.startedAt,
        lastHeartbeatAt: schema.workers.lastHeartbeatAt,
        stoppedAt: schema.workers.stoppedAt,
      })
      .from(schema.workers)
      .orderBy(desc(schema.workers.startedAt))
      .limit(200),
  ),
});
