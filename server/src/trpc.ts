import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { z } from "zod";
import type { Database } from "./db/client.js";
import { formatIssue, InputError, type InputIssue, issuesFromZod, NotFoundError } from "./errors.js";
import type { AppLogger } from "./logger.js";
import type { TaskCatalog } from "./tasks/catalog.js";

/** What every procedure can reach; built once per request from the app's long-lived parts. */
export interface Context {
  db: Database;
  catalog: TaskCatalog;
  logger: AppLogger;
}

function issuesOf(cause: unknown): InputIssue[] | null {
  if (cause instanceof z.ZodError) return issuesFromZod(cause);
  if (cause instanceof InputError) return cause.issues;
  return null;
}

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  // Stack traces stay in the server's log, never in a response.
  isDev: false,
  errorFormatter({ shape, error }) {
    const issues = error.code === "BAD_REQUEST" ? issuesOf(error.cause) : null;
    return {
      ...shape,
      // Zod's default message is a JSON dump; a caller wants "input.userId: expected number".
      message: issues ? issues.map(formatIssue).join("; ") : shape.message,
      data: { ...shape.data, issues },
    };
  },
});

/** Domain errors from services become the tRPC codes a caller can act on. */
const domainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) {
    const { cause } = result.error;
    if (cause instanceof InputError) throw new TRPCError({ code: "BAD_REQUEST", message: cause.message, cause });
    if (cause instanceof NotFoundError) throw new TRPCError({ code: "NOT_FOUND", message: cause.message, cause });
  }
  return result;
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure.use(domainErrors);
