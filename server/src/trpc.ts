import { hasRole, historyRewoundReason, type Role } from "@conveyor/shared";
import { SpanKind } from "@opentelemetry/api";
import { initTRPC, TRPCError } from "@trpc/server";
import { z } from "zod";
import { roleTooLowMessage, tokenRequiredMessage } from "./auth/credentials.js";
import type { Principal, TokenAuthenticator } from "./auth/tokens.js";
import type { CacheNamespace } from "./cache/namespaces.js";
import type { ReadThroughCache } from "./cache/readThroughCache.js";
import type { Database } from "./db/client.js";
import {
  formatIssue,
  HistoryRewoundError,
  InputError,
  type InputIssue,
  issuesFromZod,
  NotFoundError,
} from "./errors.js";
import type { EventHub } from "./events/eventHub.js";
import type { LiveConnection } from "./events/liveConnection.js";
import { wireTransformer } from "./events/liveWire.js";
import type { SubscriptionLimiter } from "./events/subscriptionLimiter.js";
import type { AppLogger } from "./logger.js";
import type { TaskCatalog } from "./tasks/catalog.js";
import { contextOf, endSpan, tracer } from "./tracing/tracing.js";

/** The app's long-lived parts, shared by every request. */
export interface AppServices {
  db: Database;
  catalog: TaskCatalog;
  logger: AppLogger;
  authenticator: TokenAuthenticator;
  /** The process's event fan-out; null where no API runs (a worker-only process). */
  hub: EventHub | null;
  subscriptions: SubscriptionLimiter;
  cache: ReadThroughCache;
}

/** What every procedure can reach: the services and who is calling. */
export interface Context extends AppServices {
  principal: Principal | null;
  /**
   * For a connection that outlives one call (a WebSocket): who holds its token now, asked again
   * for each call, so a revoked token or a lowered role takes effect on the next subscription.
   */
  currentPrincipal?: () => Promise<Principal | null>;
  /** The connection a subscription streams over; null for callers in this process. */
  connection: LiveConnection | null;
  /** The caller's W3C trace context headers, if it sent them: its trace continues here. */
  traceHeaders?: { traceparent?: string | undefined; tracestate?: string | undefined };
}

/** Every procedure declares who may call it, next to its definition. */
export interface Meta {
  access: Role | "public";
  /** A listing read through the cache under this namespace; the HTTP layer answers its hits. */
  cache?: CacheNamespace;
}

function issuesOf(cause: unknown): InputIssue[] | null {
  if (cause instanceof z.ZodError) return issuesFromZod(cause);
  if (cause instanceof InputError) return cause.issues;
  return null;
}

const t = initTRPC
  .context<Context>()
  .meta<Meta>()
  .create({
    transformer: wireTransformer,
    // Stack traces stay in the server's log, never in a response.
    isDev: false,
    errorFormatter({ shape, error }) {
      const issues = error.code === "BAD_REQUEST" ? issuesOf(error.cause) : null;
      return {
        ...shape,
        // Zod's default message is a JSON dump; a caller wants "input.userId: expected number".
        message: issues ? issues.map(formatIssue).join("; ") : shape.message,
        data: {
          ...shape.data,
          issues,
          // What a subscriber acts on (`isHistoryRewound` in shared): reload rather than resume.
          reason: error.cause instanceof HistoryRewoundError ? historyRewoundReason : null,
        },
      };
    },
  });

/**
 * A span per query and mutation, continuing the caller's trace when it sent `traceparent`
 * (subscriptions last for as long as a client listens, so they get none).
 */
const traced = t.middleware(({ ctx, path, type, next }) => {
  if (type === "subscription") return next();
  const parent = contextOf(ctx.traceHeaders?.traceparent, ctx.traceHeaders?.tracestate);
  return tracer.startActiveSpan(
    `trpc ${path}`,
    { kind: SpanKind.SERVER, attributes: { "rpc.system": "trpc", "rpc.method": path } },
    parent,
    async (span) => {
      const result = await next();
      endSpan(span, result.ok ? undefined : result.error);
      return result;
    },
  );
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

function requireRole(required: Role) {
  return t.middleware(async ({ ctx, next }) => {
    const principal = ctx.currentPrincipal ? await ctx.currentPrincipal() : ctx.principal;
    if (!principal) throw new TRPCError({ code: "UNAUTHORIZED", message: tokenRequiredMessage });
    if (!hasRole(principal.role, required)) {
      throw new TRPCError({ code: "FORBIDDEN", message: roleTooLowMessage(principal, required) });
    }
    return next({ ctx: { ...ctx, principal } });
  });
}

export const router = t.router;
export const mergeRouters = t.mergeRouters;
export const createCallerFactory = t.createCallerFactory;
/** Anyone, without a token. Keep this for health checks and sign-in state only. */
export const publicProcedure = t.procedure.meta({ access: "public" }).use(traced).use(domainErrors);
/** Reads and subscriptions. */
export const viewerProcedure = t.procedure
  .meta({ access: "viewer" })
  .use(traced)
  .use(requireRole("viewer"))
  .use(domainErrors);
/** Enqueue, cancel, retry, re-run. */
export const operatorProcedure = t.procedure
  .meta({ access: "operator" })
  .use(traced)
  .use(requireRole("operator"))
  .use(domainErrors);
/** Schedules and tokens. */
export const adminProcedure = t.procedure
  .meta({ access: "admin" })
  .use(traced)
  .use(requireRole("admin"))
  .use(domainErrors);
