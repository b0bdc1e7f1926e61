import type { Context } from "../trpc.js";
import { type CacheNamespace, cacheTtlMs, invalidatedBy } from "./namespaces.js";

/** A listing read through the cache with its namespace's TTL; `input` is the cache key's query. */
export function cachedListing<T>(
  ctx: Context,
  namespace: CacheNamespace,
  input: unknown,
  load: () => Promise<T>,
): Promise<T> {
  return ctx.cache.readThrough(namespace, input, cacheTtlMs[namespace], load);
}

/**
 * Runs a write, then invalidates what it makes stale before answering: once the mutation has
 * returned, the next listing reflects it (read-your-writes).
 */
export async function invalidateAfter<T>(
  ctx: Context,
  write: keyof typeof invalidatedBy,
  run: () => Promise<T>,
): Promise<T> {
  const result = await run();
  await ctx.cache.invalidate(...invalidatedBy[write]);
  return result;
}
