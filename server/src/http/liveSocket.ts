import type { IncomingMessage } from "node:http";
import { limits } from "@conveyor/shared";
import fastifyWebsocket from "@fastify/websocket";
import { getWSConnectionHandler } from "@trpc/server/adapters/ws";
import { parseCookie } from "cookie";
import type { FastifyInstance } from "fastify";
import type { WebSocket } from "ws";
import { z } from "zod";
import { tokenFromRequest } from "../auth/credentials.js";
import type { LiveConnection } from "../events/liveConnection.js";
import { liveSocketEncoder } from "../events/liveWire.js";
import type { AppLogger } from "../logger.js";
import { appRouter } from "../router.js";
import type { AppServices, Context } from "../trpc.js";

/** Bytes a socket may hold for its client before its streams wait for the client to read. */
const highWaterBytes = 1024 * 1024;
/** How often a stream waiting for a congested socket looks again. */
const writablePollMs = 20;
/** A cut socket's close frame waits behind what it still holds; past this, the socket is destroyed. */
const cutGraceMs = 2_000;
/** The server pings this often (a protocol ping, which browsers answer by themselves); a client silent for two rounds is dropped. */
const pingMs = 15_000;

/** Close codes: 1012 asks the client to reconnect (the server restarts); 4008 says it read too slowly. */
const closeCodes = { restart: 1012, tooSlow: 4008 } as const;

/** What a non-browser client sends in its first message instead of a header it cannot set. */
const connectionParamsSchema = z.object({ token: z.string().max(200).optional() }).nullable();

/** A close reason is at most 123 bytes. */
function closeReason(reason: string): string {
  return Buffer.from(reason)
    .subarray(0, 123)
    .toString("utf8")
    .replace(/\uFFFD$/, "");
}

function socketConnection(socket: WebSocket): LiveConnection {
  const isWritable = () => socket.readyState !== socket.OPEN || socket.bufferedAmount < highWaterBytes;
  const close = (code: number, reason: string) => {
    if (socket.readyState === socket.CLOSED) return;
    socket.close(code, closeReason(reason));
    setTimeout(() => socket.terminate(), cutGraceMs).unref();
  };
  return {
    transport: "websocket",
    whenWritable: () =>
      isWritable()
        ? Promise.resolve()
        : new Promise((resolve) => {
            const check = () => (isWritable() ? resolve() : setTimeout(check, writablePollMs));
            check();
          }),
    cut: (reason) => close(closeCodes.tooSlow, reason),
    restart: () => close(closeCodes.restart, "the API process is shutting down; reconnect"),
  };
}

/**
 * Drops a client that has not answered a ping (or sent anything) since the last one: a vanished
 * peer, or one that stopped reading, whose buffers would otherwise stay allocated.
 */
function keepAlive(socket: WebSocket): void {
  let isAlive = true;
  const markAlive = () => {
    isAlive = true;
  };
  socket.on("pong", markAlive);
  socket.on("message", markAlive);
  const timer = setInterval(() => {
    if (!isAlive) {
      socket.terminate();
      return;
    }
    isAlive = false;
    socket.ping();
  }, pingMs);
  socket.once("close", () => clearInterval(timer));
}

/**
 * A socket's credentials: a token in its connection parameters (typed clients), else the session
 * cookie — but only from a page of this origin, so another site cannot ride a signed-in browser.
 */
function socketToken(request: IncomingMessage, connectionParams: unknown): string | null {
  const params = connectionParamsSchema.safeParse(connectionParams);
  if (params.success && params.data?.token) return params.data.token;
  const { origin, host } = request.headers;
  if (origin !== undefined && host !== undefined && URL.parse(origin)?.host !== host) return null;
  return tokenFromRequest({ authorization: request.headers.authorization }, parseCookie(request.headers.cookie ?? ""));
}

/**
 * tRPC over one WebSocket per client at `/trpc`: every subscription of a browser tab shares it,
 * with the same tracked ids and `lastEventId` resume as server-sent events. Messages from clients
 * are bounded (`socketMessageBytes`), idle clients are pinged and dropped, and the token is checked
 * again for each call, so a revoked one opens nothing new.
 */
export async function registerLiveSocket(
  app: FastifyInstance,
  options: { services: AppServices; logger: AppLogger },
): Promise<void> {
  const { services, logger } = options;
  await app.register(fastifyWebsocket, { options: { maxPayload: limits.socketMessageBytes } });
  const onConnection = getWSConnectionHandler({
    router: appRouter,
    wss: app.websocketServer,
    experimental_encoder: liveSocketEncoder,
    createContext: async ({ req, res, info }): Promise<Context> => {
      const token = socketToken(req, info.connectionParams);
      const authenticate = async () => (token ? services.authenticator.authenticate(token) : null);
      return {
        ...services,
        principal: await authenticate(),
        currentPrincipal: authenticate,
        connection: socketConnection(res),
      };
    },
    onError({ error, path }) {
      if (error.code === "INTERNAL_SERVER_ERROR") logger.error({ err: error.cause ?? error, path }, "procedure failed");
    },
  });
  app.get("/trpc", { websocket: true }, (socket, request) => {
    // A message over the size limit closes the socket (1009); say so in the log, not only to the client.
    socket.on("error", (error) => logger.warn({ err: error }, "live socket error"));
    keepAlive(socket);
    onConnection(socket, request.raw);
  });
}
