import { authRouter, tokensRouter } from "./auth/router.js";
import { cacheRouter } from "./cache/router.js";
import { emittedEventsRouter, waitpointsRouter } from "./emittedEvents/router.js";
import { eventsRouter } from "./events/router.js";
import { flowsRouter } from "./flows/router.js";
import { healthProcedure } from "./health.js";
import { hotelsRouter } from "./hotels/router.js";
import { imagesRouter } from "./images/router.js";
import { pausesRouter } from "./pauses/router.js";
import { reportsRouter } from "./reports/router.js";
import { runsRouter } from "./runs/router.js";
import { schedulesRouter } from "./schedules/router.js";
import { statsRouter } from "./stats/router.js";
import { tasksRouter } from "./tasks/router.js";
import { createCallerFactory, mergeRouters, router } from "./trpc.js";
import { usersRouter } from "./users/router.js";
import { workersRouter } from "./workers/router.js";

export const appRouter = router({
  health: healthProcedure,
  tasks: tasksRouter,
  runs: mergeRouters(runsRouter, waitpointsRouter),
  flows: flowsRouter,
  schedules: schedulesRouter,
  workers: workersRouter,
  // Run events (the live feed) and emitted events share one name for clients: `events.feed`, `events.emit`.
  events: mergeRouters(eventsRouter, emittedEventsRouter),
  hotels: hotelsRouter,
  users: usersRouter,
  images: imagesRouter,
  reports: reportsRouter,
  cache: cacheRouter,
  stats: statsRouter,
  pauses: pausesRouter,
  tokens: tokensRouter,
  auth: authRouter,
});

/** The API's type, for typed clients: `createTRPCClient<AppRouter>(…)`. */
export type AppRouter = typeof appRouter;

/** Calls procedures in-process with a given context, for tests and scripts. */
export const createCaller = createCallerFactory(appRouter);
