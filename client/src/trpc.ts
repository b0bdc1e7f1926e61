import type { AppRouter } from "@conveyor/server";
import { MutationCache, QueryCache, QueryClient } from "@tanstack/react-query";
import { httpBatchLink, httpSubscriptionLink, splitLink, TRPCClientError } from "@trpc/client";
import { createTRPCReact, getQueryKey } from "@trpc/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import superjson from "superjson";

/** Typed hooks for every procedure of the API. */
export const trpc = createTRPCReact<AppRouter>();

export type RouterOutputs = inferRouterOutputs<AppRouter>;

/**
 * The API is served on the UI's own origin (the dev server proxies it). Subscriptions are
 * server-sent event streams, authenticated by the same session cookie; on a dropped connection
 * the browser reconnects and the link resumes after the last event it received.
 */
export function createApiClient() {
  return trpc.createClient({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        true: httpSubscriptionLink({ url: "/trpc", transformer: superjson }),
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
  const code = apiErrorCode(error);
  return code === "BAD_REQUEST" || code === "NOT_FOUND" || code === "UNAUTHORIZED" || code === "FORBIDDEN";
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
