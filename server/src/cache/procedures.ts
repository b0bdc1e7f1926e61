import type { z } from "zod";
import { type AppServices, type Context, viewerProcedure } from "../trpc.js";
import { type CacheNamespace, cacheTtlMs, invalidatedBy } from "./namespaces.js";

/**
 * A viewer query whose result is read through the cache with its namespace's TTL, keyed by its
 * parsed input. Its `meta.cache` lets the HTTP layer answer a GET that hits from the stored
 * response, before tRPC (see `cachedResponses.ts`), which keys the same way.
 */
export function cachedListingQuery<TInput extends z.ZodType, TOutput>(
  namespace: CacheNamespace,
  input: TInput,
  load: (ctx: Context, input: z.output<TInput>) => Promise<TOutput>,
) {
  return viewerProcedure
    .meta({ access: "viewer", cache: namespace })
    .input(input)
    .query(({ ctx, input: parsed }) => {
      // tRPC types a generic parser's output as a conditional it cannot resolve; it is this.
      const query = parsed as z.output<TInput>;
      return ctx.cache.readThrough(namespace, query, cacheTtlMs[namespace], () => load(ctx, query));
    });
}

/**
 * Runs a write, then invalidates what it makes stale before answering: once it has returned, the
 * next listing reflects it (read-your-writes). For procedures, plain routes and the worker alike.
 */
export async function invalidateAfter<T>(
  services: Pick<AppServices, "cache">,
  write: keyof typeof invalidatedBy,
  run: () => Promise<T>,
): Promise<T> {
  const result = await run();
  await services.cache.invalidate(...invalidatedBy[write]);
  return result;
}
