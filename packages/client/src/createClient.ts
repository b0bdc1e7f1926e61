import type { AppRouter } from "@conveyor/server";
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink, type TRPCClient } from "@trpc/client";
import { EventSource as FetchEventSource } from "eventsource";
import superjson from "superjson";

/** The typed tRPC client for Conveyor's whole API: `client.runs.get.query({ id })`, `client.runs.watch.subscribe(…)`, … */
export type ConveyorClient = TRPCClient<AppRouter>;

export interface ClientOptions {
  /** The server's base URL, e.g. `http://127.0.0.1:3000` (`/trpc` is appended); `""` in a browser page served by Conveyor. */
  url: string;
  /**
   * A token from `npm run token -- --role <role>`, sent as `Authorization: Bearer <token>`. Omit it
   * in a browser signed in to Conveyor: the session cookie is sent instead.
   */
  token?: string | undefined;
}

/** Where tRPC listens under a server's base URL. */
export function trpcUrl(url: string): string {
  const base = url.replace(/\/+$/, "");
  return base.endsWith("/trpc") ? base : `${base}/trpc`;
}

/**
 * A typed client: queries and mutations batched over HTTP, subscriptions over SSE, both
 * with superjson (dates stay dates).
 */
export function createClient(options: ClientOptions): ConveyorClient {
  const url = trpcUrl(options.url);
  const authorization: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {};
  // A browser's own EventSource cannot send headers, so a token goes through the `eventsource`
  // package's fetch-based EventSource; without a token the browser's sends the session cookie.
  const useFetchEventSource = options.token !== undefined || typeof globalThis.EventSource === "undefined";
  const subscriptions = useFetchEventSource
    ? httpSubscriptionLink({
        url,
        transformer: superjson,
        EventSource: FetchEventSource,
        eventSourceOptions: () => ({
          fetch: (input, init) => fetch(input, { ...init, headers: { ...init.headers, ...authorization } }),
        }),
      })
    : httpSubscriptionLink({ url, transformer: superjson });
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (operation) => operation.type === "subscription",
        true: subscriptions,
        false: httpBatchLink({ url, transformer: superjson, headers: () => authorization }),
      }),
    ],
  });
}
