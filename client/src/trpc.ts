import type { AppRouter } from "@conveyor/server";
import { isCallerMistakeCode } from "@conveyor/shared";
import { MutationCache, QueryCache, QueryClient } from "@tanstack/react-query";
import { createWSClient, httpBatchLink, retryLink, splitLink, TRPCClientError, wsLink } from "@trpc/client";
import { createTRPCReact, getQueryKey } from "@trpc/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import superjson from "superjson";

/** Typed hooks for every procedure of the API. */
export const trpc = createTRPCReact<AppRouter>();

export type RouterOutputs = inferRouterOutputs<AppRouter>;

/**
 * The tab's one live connection: every subscription of every view shares this WebSocket (a tab
 * holding a stream per view ran out of the six connections HTTP/1.1 allows per host, and other
 * tabs' pages stopped updating). It opens with the first subscription, sends the session cookie,
 * and on a dropped connection reconnects and resumes each subscription after its last event.
 */
let liveSocket: ReturnType<typeof createWSClient> | null = null;

function liveSocketUrl(): string {
  return `${window.location.protocol === "https:" ? "wss:" : "ws:"}//${window.location.host}/trpc`;
}

/** Starts the live connection over, as the caller now signed in (the server reads the cookie once per connection). */
export function restartLiveSocket(): void {
  void liveSocket?.close();
}

/**
 * The API is served on the UI's own origin (the dev server proxies it). Queries and mutations are
 * batched over HTTP; subscriptions share the tab's WebSocket, authenticated by the same session
 * cookie.
 */
export function createApiClient() {
  liveSocket ??= createWSClient({
    url: liveSocketUrl,
    lazy: { enabled: true, closeMs: 10_000 },
    // Tells a dead connection from a quiet one; the server's own pings catch the reverse.
    keepAlive: { enabled: true, intervalMs: 10_000, pongTimeoutMs: 10_000 },
  });
  return trpc.createClient({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        true: [
          // A subscription that fails for a reason that may pass (a server error) subscribes again
          // after its last event; the socket link reopens a closed socket by itself.
          retryLink({
            retry: ({ op, error }) => op.type === "subscription" && !isCallerMistake(error),
            retryDelayMs: (attempts) => Math.min(250 * 2 ** (attempts - 1), 5_000),
          }),
          wsLink({ client: liveSocket, transformer: superjson }),
        ],
        false: httpBatchLink({ url: "/trpc", transformer: superjson }),
      }),
    ],
  });
}

/** The tRPC error code of an API error (`NOT_FOUND`, `BAD_REQUEST`, …), if it is one. */
function apiErrorCode(error: unknown): string | undefined {
  if (!(error instanceof TRPCClientError)) return undefined;
  const { data } = error as TRPCClientError<AppRouter>;
  return data?.code;
}

/** Whether the API has no such thing: an unknown id, or one that could not even be an id. */
export function isMissing(error: unknown): boolean {
  const code = apiErrorCode(error);
  return code === "NOT_FOUND" || code === "BAD_REQUEST";
}

/** Whether asking again cannot help: the request itself was wrong or not allowed. */
export function isCallerMistake(error: unknown): boolean {
  return isCallerMistakeCode(apiErrorCode(error));
}

export function createQueryClient(): QueryClient {
  // A session can end under a page (expired, token revoked); asking who is signed in again lets
  // the session gate show the sign-in form instead of a wall of errors.
  const onError = (error: unknown) => {
    if (apiErrorCode(error) === "UNAUTHORIZED")
      void queryClient.invalidateQueries({ queryKey: getQueryKey(trpc.auth.session) });
  };
  const queryClient: QueryClient = new QueryClient({
    queryCache: new QueryCache({ onError }),
    mutationCache: new MutationCache({ onError }),
    defaultOptions: {
      queries: {
        // Asking again cannot fix a caller's mistake; a dropped connection may come back.
        retry: (failures, error) => !isCallerMistake(error) && failures < 2,
      },
    },
  });
  return queryClient;
}
