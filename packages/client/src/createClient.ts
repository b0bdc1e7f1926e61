import type { AppRouter } from "@conveyor/server";
import { isCallerMistakeCode } from "@conveyor/shared";
import {
  createTRPCClient,
  createWSClient,
  httpBatchLink,
  httpSubscriptionLink,
  retryLink,
  splitLink,
  type TRPCClient,
  type TRPCLink,
  wsLink,
} from "@trpc/client";
import { EventSource as FetchEventSource } from "eventsource";
import superjson from "superjson";
import { WebSocket as NodeWebSocket } from "ws";

/** The typed tRPC client for Conveyor's whole API: `client.runs.get.query({ id })`, `client.runs.watch.subscribe(…)`, … */
export type ConveyorClient = TRPCClient<AppRouter>;

/** How subscriptions travel: one WebSocket for all of them, or a server-sent event stream each. */
export type LiveTransport = "websocket" | "sse";

export interface ClientOptions {
  /** The server's base URL, e.g. `http://127.0.0.1:3000` (`/trpc` is appended); `""` in a browser page served by Conveyor. */
  url: string;
  /**
   * A token from `npm run token -- --role <role>`, sent as `Authorization: Bearer <token>` (and in
   * the WebSocket's connection parameters). Omit it in a browser signed in to Conveyor: the
   * session cookie is sent instead.
   */
  token?: string | undefined;
  /**
   * Subscriptions over one WebSocket shared by all of them, or over server-sent events (one HTTP
   * stream each, for networks that pass no WebSocket). Both resume after the last event on
   * reconnect. `"sse"` by default.
   */
  transport?: LiveTransport | undefined;
}

/** Where tRPC listens under a server's base URL. */
export function trpcUrl(url: string): string {
  const base = url.replace(/\/+$/, "");
  return base.endsWith("/trpc") ? base : `${base}/trpc`;
}

/** How long the socket stays open with no subscription on it. */
const idleSocketCloseMs = 1_000;

/** The socket's address: the API's, with ws: or wss: (a page's own origin when `url` is empty). */
function socketUrl(url: string): string {
  const absolute = new URL(url, typeof location === "undefined" ? undefined : location.href);
  absolute.protocol = absolute.protocol === "https:" ? "wss:" : "ws:";
  return absolute.toString();
}

/**
 * Subscribes again when a subscription fails for a reason that may pass (its first query met a
 * database that was failing over, say), after its last event, with a backoff of up to 5 s. A
 * socket that closes is reopened by the socket link itself; this covers the subscription's own
 * errors, which would otherwise end it.
 */
export function retrySubscriptions(): TRPCLink<AppRouter> {
  return retryLink<AppRouter>({
    retry: ({ op, error }) => op.type === "subscription" && !isCallerMistakeCode(error.data?.code),
    retryDelayMs: (attempts) => Math.min(250 * 2 ** (attempts - 1), 5_000),
  });
}

function socketLink(url: string, token: string | undefined): TRPCLink<AppRouter>[] {
  const client = createWSClient({
    url: socketUrl(url),
    // Node has no WebSocket of its own before version 22.
    ...(typeof globalThis.WebSocket === "undefined" ? { WebSocket: NodeWebSocket as unknown as typeof WebSocket } : {}),
    // A header cannot be set on a browser's WebSocket: the token goes in the first message.
    ...(token ? { connectionParams: { token } } : {}),
    // Opens with the first subscription and closes after the last, so an idle client holds nothing open.
    lazy: { enabled: true, closeMs: idleSocketCloseMs },
    keepAlive: { enabled: true, intervalMs: 10_000, pongTimeoutMs: 10_000 },
  });
  return [retrySubscriptions(), wsLink<AppRouter>({ client, transformer: superjson })];
}

function eventStreamLink(url: string, token: string | undefined): TRPCLink<AppRouter> {
  const authorization: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  // A browser's own EventSource cannot send headers, so a token goes through the `eventsource`
  // package's fetch-based EventSource; without a token the browser's sends the session cookie.
  const useFetchEventSource = token !== undefined || typeof globalThis.EventSource === "undefined";
  return useFetchEventSource
    ? httpSubscriptionLink({
        url,
        transformer: superjson,
        EventSource: FetchEventSource,
        eventSourceOptions: () => ({
          fetch: (input, init) => fetch(input, { ...init, headers: { ...init.headers, ...authorization } }),
        }),
      })
    : httpSubscriptionLink({ url, transformer: superjson });
}

/** The link subscriptions take: `url` is tRPC's (`…/trpc`). */
export function subscriptionLink(
  url: string,
  token: string | undefined,
  transport: LiveTransport,
): TRPCLink<AppRouter>[] {
  return transport === "websocket" ? socketLink(url, token) : [eventStreamLink(url, token)];
}

/**
 * The links of a typed client: queries and mutations batched over HTTP, subscriptions over
 * server-sent events or one WebSocket, all with superjson (dates stay dates). For `createClient`,
 * and for a tRPC client of another kind (the React provider's).
 */
export function conveyorLinks(options: ClientOptions): TRPCLink<AppRouter>[] {
  const url = trpcUrl(options.url);
  const authorization: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {};
  return [
    splitLink({
      condition: (operation) => operation.type === "subscription",
      true: subscriptionLink(url, options.token, options.transport ?? "sse"),
      false: httpBatchLink({ url, transformer: superjson, headers: () => authorization }),
    }),
  ];
}

/**
 * A typed client (see `conveyorLinks`). Subscriptions deliver batches: each message holds one or
 * more events, in order, and resumes after its last.
 */
export function createClient(options: ClientOptions): ConveyorClient {
  return createTRPCClient<AppRouter>({ links: conveyorLinks(options) });
}
