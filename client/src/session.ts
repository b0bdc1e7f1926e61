import { useMutation, useQueryClient } from "@tanstack/react-query";
import { z } from "zod";
import { restartLiveSocket } from "./trpc";

/*
 * Signing in and out are plain HTTP routes rather than tRPC procedures: the server answers with an
 * HttpOnly session cookie, so page scripts never hold the token after handing it over once.
 */

const errorBody = z.object({ error: z.string() });

async function failureOf(response: Response): Promise<Error> {
  const body: unknown = await response.json().catch(() => null);
  const parsed = errorBody.safeParse(body);
  return new Error(parsed.success ? parsed.data.error : `${response.status} ${response.statusText}`);
}

async function startSession(token: string): Promise<void> {
  const response = await fetch("/auth/session", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token }),
  });
  if (!response.ok) throw await failureOf(response);
}

async function endSession(): Promise<void> {
  const response = await fetch("/auth/session", { method: "DELETE" });
  if (!response.ok) throw await failureOf(response);
}

/** Trades a token for a session cookie, then reloads every query as the new caller. */
export function useSignIn() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: startSession,
    onSuccess: () => {
      restartLiveSocket();
      return queryClient.resetQueries();
    },
  });
}

/** Drops the session cookie; what the last caller could see leaves the cache with it. */
export function useSignOut() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: endSession,
    onSuccess: () => {
      restartLiveSocket();
      return queryClient.resetQueries();
    },
  });
}
