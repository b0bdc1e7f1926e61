import { existsSync } from "node:fs";
import { limits, sessionCookieName } from "@conveyor/shared";
import fastifyCookie from "@fastify/cookie";
import fastifyCors from "@fastify/cors";
import fastifyStatic from "@fastify/static";
import { type FastifyTRPCPluginOptions, fastifyTRPCPlugin } from "@trpc/server/adapters/fastify";
import Fastify, { type FastifyReply } from "fastify";
import { z } from "zod";
import { principalOf, tokenRequiredMessage } from "../auth/credentials.js";
import { answerCachedListings, cachedQueriesOf } from "../cache/cachedResponses.js";
import type { LiveConnection } from "../events/liveConnection.js";
import { imageRoutes } from "../images/httpRoutes.js";
import type { ImageStorage } from "../images/storage.js";
import type { AppLogger } from "../logger.js";
import { type AppRouter, appRouter } from "../router.js";
import type { AppServices, Context } from "../trpc.js";
import type { RunningWorker } from "../worker/startWorker.js";
import { checkHealth } from "./healthReport.js";
import { registerLiveSocket } from "./liveSocket.js";
import { type MetricsSources, mayScrape, renderMetrics } from "./metricsExposition.js";

export interface HttpServerOptions {
  services: AppServices;
  /** Where uploaded images are kept (STORAGE_DIR). */
  storage: ImageStorage;
  /** Origins of other sites whose pages may call the API (CORS_ORIGINS); none: same origin only. */
  corsOrigins: readonly string[];
  /** The built web UI; served at `/` when present. */
  staticDir: string | null;
  logger: AppLogger;
  /** The worker running in this process, if any: its health is part of `/health`. */
  worker: RunningWorker | null;
  /** What `GET /metrics` reads, and the extra token that may scrape it. */
  metrics: { sources: MetricsSources; token: string | undefined };
}

const loginQuerySchema = z.object({ token: z.string().optional() });
const sessionBodySchema = z.object({ token: z.string().min(1).max(200) });

/** A browser session lasts this long; the token behind it is still checked on every request. */
const sessionMaxAgeSeconds = 30 * 86_400;

function setSession(reply: FastifyReply, token: string): void {
  reply.setCookie(sessionCookieName, token, {
    path: "/",
    httpOnly: true,
    // Strict: no other site can make the browser send it, which is what stops CSRF here.
    sameSite: "strict",
    secure: "auto",
    maxAge: sessionMaxAgeSeconds,
  });
}

/** The most events one server-sent event carries. */
const sseEventsPerMessage = 50;

/**
 * A server-sent event stream: tRPC waits for the response to drain before it takes the next
 * message, so a slow client's events wait in the hub's bounded buffer; cutting it ends the
 * response, and the client's EventSource reconnects with its last event id.
 */
function sseConnection(reply: FastifyReply): LiveConnection {
  return {
    transport: "sse",
    // Each stream encodes its own copy of every message, and holds it until its client took it:
    // small messages keep a thousand streams' copies to tens of megabytes.
    maxEventsPerMessage: sseEventsPerMessage,
    whenWritable: () => Promise.resolve(),
    cut: () => reply.raw.destroy(),
  };
}

/** One port for the UI, tRPC at `/trpc` (HTTP, server-sent events and WebSocket), `GET /health`, and the browser sign-in routes. */
export async function createHttpServer(options: HttpServerOptions) {
  const { services, logger } = options;
  const app = Fastify({
    // Failures are logged by the handlers below; a line per request would drown them.
    logger: false,
    bodyLimit: limits.requestBodyBytes,
    // tRPC batches many calls into one URL; the default limit is too small for that.
    routerOptions: { maxParamLength: 5_000 },
  });
  await app.register(fastifyCookie);
  // First of the request hooks, so that cached answers carry the headers too. No credentials:
  // another site's page sends a token, never the session cookie.
  await app.register(fastifyCors, { origin: [...options.corsOrigins], methods: ["GET", "POST"], credentials: false });

  app.setErrorHandler((error: { statusCode?: number; code?: string; message: string }, _request, reply) => {
    if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
      return reply.code(413).send({
        error: `request body is over the limit requestBodyBytes of ${limits.requestBodyBytes} bytes`,
      });
    }
    const status = error.statusCode ?? 500;
    if (status >= 500) logger.error({ err: error }, "request failed");
    return reply.code(status).send({ error: status >= 500 ? "internal error" : error.message });
  });

  const createContext = async ({
    req,
    res,
  }: {
    req: {
      headers: { authorization?: string; traceparent?: string | string[]; tracestate?: string | string[] };
      cookies: Record<string, string | undefined>;
    };
    res: FastifyReply;
  }): Promise<Context> => {
    const { traceparent, tracestate } = req.headers;
    return {
      ...services,
      principal: await principalOf(req, services.authenticator),
      connection: sseConnection(res),
      traceHeaders: {
        traceparent: typeof traceparent === "string" ? traceparent : undefined,
        tracestate: typeof tracestate === "string" ? tracestate : undefined,
      },
    };
  };

  // Before tRPC (and after the cookie parser): hits of cached listings never reach it.
  answerCachedListings(app, {
    prefix: "/trpc",
    queries: cachedQueriesOf(appRouter),
    cache: services.cache,
    authenticator: services.authenticator,
  });
  await registerLiveSocket(app, { services, logger });
  await app.register(fastifyTRPCPlugin, {
    prefix: "/trpc",
    trpcOptions: {
      router: appRouter,
      createContext,
      onError({ error, path }) {
        if (error.code === "INTERNAL_SERVER_ERROR")
          logger.error({ err: error.cause ?? error, path }, "procedure failed");
      },
    } satisfies FastifyTRPCPluginOptions<AppRouter>["trpcOptions"],
  });

  app.get("/health", async (_request, reply) => {
    const report = await checkHealth({ db: services.db, hub: services.hub, worker: options.worker });
    if (report.status !== "ok") logger.warn(report, "health check failed");
    return reply.code(report.status === "ok" ? 200 : 503).send(report);
  });

  // The one-time link printed at first start: trade the token for a session cookie, then drop it
  // from the address bar by redirecting.
  app.get("/login", async (request, reply) => {
    const query = loginQuerySchema.safeParse(request.query);
    const token = query.success ? query.data.token : undefined;
    const principal = token ? await services.authenticator.authenticate(token) : null;
    if (!token || !principal) return reply.redirect("/#/login?error=invalid-token");
    setSession(reply, token);
    return reply.redirect("/");
  });

  app.get("/metrics", async (request, reply) => {
    const allowed = await mayScrape(request.headers.authorization, services.authenticator, options.metrics.token);
    if (!allowed) return reply.code(401).send({ error: tokenRequiredMessage });
    const { contentType, body } = await renderMetrics(options.metrics.sources);
    return reply.type(contentType).send(body);
  });

  app.post("/auth/session", async (request, reply) => {
    const body = sessionBodySchema.safeParse(request.body);
    if (!body.success) return reply.code(400).send({ error: "token: a token is required" });
    const principal = await services.authenticator.authenticate(body.data.token);
    if (!principal) return reply.code(401).send({ error: "token: not a valid, unrevoked token" });
    setSession(reply, body.data.token);
    return { name: principal.name, role: principal.role };
  });

  app.delete("/auth/session", async (_request, reply) => {
    reply.clearCookie(sessionCookieName, { path: "/" });
    return reply.code(204).send();
  });

  await app.register(imageRoutes, { services, storage: options.storage });

  if (options.staticDir && existsSync(options.staticDir)) {
    // wildcard: files are looked up per request, so a rebuilt UI is served without a restart.
    await app.register(fastifyStatic, { root: options.staticDir, wildcard: true });
    // Any other page address gets the app shell; a missing asset or API path stays a 404.
    app.setNotFoundHandler((request, reply) => {
      const isPage = request.method === "GET" && !/^\/(trpc|assets)\//.test(request.url) && !request.url.includes(".");
      if (isPage) return reply.sendFile("index.html");
      return reply.code(404).send({ error: "Not Found" });
    });
  }
  return app;
}

export type HttpServer = Awaited<ReturnType<typeof createHttpServer>>;
