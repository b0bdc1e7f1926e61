import type { TRPCBuiltRouter } from "@trpc/server";
import type { appRouter } from "./router.js";

type Root = (typeof appRouter)["_def"]["_config"]["$types"];

/**
 * The API as a client sees it: AppRouter's procedures and error shape without the server's
 * context (its database, cache, event hub …), so a client's declarations need none of them.
 */
export type ClientAppRouter = TRPCBuiltRouter<
  { ctx: object; meta: Root["meta"]; errorShape: Root["errorShape"]; transformer: Root["transformer"] },
  (typeof appRouter)["_def"]["record"]
>;
