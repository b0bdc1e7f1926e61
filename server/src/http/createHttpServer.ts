import { existsSync } from "node:fs";
import { limits } from "@conveyor/shared";
import fastifyStatic from "@fastify/static";
import { type FastifyTRPCPluginOptions, fastifyTRPCPlugin } from "@trpc/server/adapters/fastify";
import { sql } from "drizzle-orm";
import Fastify from "fastify";
import type { AppLogger } from "../logger.js";
import { type AppRouter, appRouter } from "../router.js";
import type { Context } from "../trpc.js";

export interface HttpServerOptions {
  context: Context;
  /** The built web UI; served at `/` when present. */
  staticDir: string | null;
  logger: AppLogger;
}

/** One port for the UI, tRPC at `/trpc` and `GET /health`. */
export async function createHttpServer(options: HttpServerOptions) {
  const { context, logger } = options;
  const app = Fastify({
    // Failures are logged by the handlers below; a line per request would drown them.
    logger: false,
    bodyLimit: limits.requestBodyBytes,
    // tRPC batches many calls into one URL; the default limit is too small for that.
    routerOptions: { maxParamLength: 5_000 },
  });

  await app.register(fastifyTRPCPlugin, {
    prefix: "/trpc",
    trpcOptions: {
      router: appRouter,
      createContext: () => context,
      onError({ error, path }) {
        if (error.code === "INTERNAL_SERVER_ERROR")
          logger.error({ err: error.cause ?? error, path }, "procedure failed");
      },
    } satisfies FastifyTRPCPluginOptions<AppRouter>["trpcOptions"],
  });

  app.get("/health", async (_request, reply) => {
    try {
      await context.db.execute(sql`select 1`);
      return { status: "ok", database: "ok" };
    } catch (error) {
      logger.warn({ err: error }, "health check failed");
      return reply.code(503).send({ status: "unavailable", database: "unreachable" });
    }
  });

  if (options.staticDir && existsSync(options.staticDir)) {
    await app.register(fastifyStatic, { root: options.staticDir, wildcard: false });
    // Client-side routes: any other GET that is not the API gets the app shell.
    app.setNotFoundHandler((request, reply) => {
      if (request.method === "GET" && !request.url.startsWith("/trpc")) return reply.sendFile("index.html");
      return reply.code(404).send({ error: "Not Found" });
    });
  }
  return app;
}

export type HttpServer = Awaited<ReturnType<typeof createHttpServer>>;
