import { hasRole } from "@conveyor/shared";
import type { AnyRouter } from "@trpc/server";
import type { FastifyInstance, FastifyRequest } from "fastify";
import superjson, { type SuperJSONResult } from "superjson";
import { z } from "zod";
import { principalOf } from "../auth/credentials.js";
import type { TokenAuthenticator } from "../auth/tokens.js";
import type { Meta } from "../trpc.js";
import type { CacheNamespace } from "./namespaces.js";
import type { ReadThroughCache } from "./readThroughCache.js";

interface CachedQuery {
  namespace: CacheNamespace;
  access: Meta["access"];
  input: z.ZodType | null;
}

/** A procedure as it stands in a router's `_def.procedures`, which is flat: keyed by dotted path. */
interface BuiltProcedure {
  _def: { type: string; meta?: Meta; inputs: unknown[] };
}

function isProcedure(value: unknown): value is BuiltProcedure {
  return typeof value === "function" && "_def" in value;
}

/** The queries declared with `meta.cache` (see `cachedListingQuery`), by tRPC path. */
export function cachedQueriesOf(router: AnyRouter): Map<string, CachedQuery> {
  const queries = new Map<string, CachedQuery>();
  const procedures: Record<string, unknown> = router._def.procedures;
  for (const [path, procedure] of Object.entries(procedures)) {
    if (!isProcedure(procedure)) continue;
    const def = procedure._def;
    if (def.type !== "query" || !def.meta?.cache || def.inputs.length > 1) continue;
    const [input] = def.inputs;
    if (input !== undefined && !(input instanceof z.ZodType)) continue;
    queries.set(path, { namespace: def.meta.cache, access: def.meta.access, input: input ?? null });
  }
  return queries;
}

/** Set on responses answered from the cache, as a CDN's `X-Cache: HIT`. */
export const cacheHeader = "x-conveyor-cache";

export interface CachedResponseOptions {
  /** Where tRPC is mounted, e.g. `/trpc`. */
  prefix: string;
  queries: Map<string, CachedQuery>;
  cache: ReadThroughCache;
  authenticator: TokenAuthenticator;
}

/**
 * Answers a GET of cached listings (one, or a batch of them) straight from the stored responses
 * when every one of them hits, writing the bytes tRPC would have written without running tRPC or
 * parsing and re-serializing the value: a hit costs a Redis round trip and little else. Anything
 * else — a miss, an unknown path, a caller without the role, an input that does not parse, a
 * streaming request — goes on to tRPC unchanged, which answers it (and fills the cache) as usual.
 */
export function answerCachedListings(app: FastifyInstance, options: CachedResponseOptions): void {
  const pathStart = `${options.prefix}/`;
  app.addHook("onRequest", async (request, reply) => {
    if (request.method !== "GET" || !request.url.startsWith(pathStart)) return;
    const body = await cachedBody(request, pathStart, options);
    if (body === null) return;
    return (
      reply
        .header("content-type", "application/json")
        .header("vary", "trpc-accept, accept")
        .header(cacheHeader, "hit")
        // As bytes: Fastify would add a charset to a string's content type, which tRPC's lacks.
        .send(Buffer.from(body))
    );
  });
}

async function cachedBody(
  request: FastifyRequest,
  pathStart: string,
  { queries, cache, authenticator }: CachedResponseOptions,
): Promise<string | null> {
  if (!cache.isAvailable || request.headers["trpc-accept"] !== undefined) return null;
  const queryStart = request.url.indexOf("?");
  const rawPath = request.url.slice(pathStart.length, queryStart === -1 ? undefined : queryStart);
  const search = new URLSearchParams(queryStart === -1 ? "" : request.url.slice(queryStart + 1));
  const isBatch = search.get("batch") === "1";
  const paths = decodeURIComponent(rawPath).split(",");
  if (!isBatch && paths.length !== 1) return null;
  const calls = paths.map((path) => queries.get(path));
  if (!calls.every((call) => call !== undefined)) return null;

  const principal = await principalOf(request, authenticator);
  const allowed = calls.every(
    ({ access }) => access === "public" || (principal !== null && hasRole(principal.role, access)),
  );
  if (!allowed) return null;

  const inputs = decodeInputs(search.get("input"), isBatch, calls.length);
  if (inputs === null) return null;
  const parsed = await Promise.all(
    calls.map(async ({ input }, index) => {
      if (!input) return { success: true as const, data: inputs[index] };
      return input.safeParseAsync(inputs[index]);
    }),
  );
  const stored = await Promise.all(
    calls.map(({ namespace }, index) => {
      const result = parsed[index];
      return result?.success ? cache.readSerialized(namespace, result.data) : null;
    }),
  );
  if (!stored.every((data) => data !== null)) return null;
  const items = stored.map((data) => `{"result":{"data":${data}}}`);
  return isBatch ? `[${items.join(",")}]` : (items[0] ?? null);
}

/** The calls' inputs as tRPC would read them from `?input=`, or null when it would reject them. */
function decodeInputs(raw: string | null, isBatch: boolean, count: number): unknown[] | null {
  try {
    const encoded: unknown = raw ? JSON.parse(raw) : undefined;
    if (!isBatch) return [encoded === undefined ? undefined : superjson.deserialize(encoded as SuperJSONResult)];
    if (encoded === undefined) return Array.from({ length: count }, () => undefined);
    if (typeof encoded !== "object" || encoded === null) return null;
    const byIndex = encoded as Record<string, unknown>;
    return Array.from({ length: count }, (_, index) => {
      const item = byIndex[index];
      return item === undefined ? undefined : superjson.deserialize(item as SuperJSONResult);
    });
  } catch {
    return null;
  }
}
