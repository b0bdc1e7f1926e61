import type { LiveEvent } from "@conveyor/shared";
import type { CombinedDataTransformer } from "@trpc/server";
import { type Encoder, jsonEncoder } from "@trpc/server/adapters/ws";
import superjson from "superjson";

/*
 * The hub hands one array of events to every subscriber of a filter. Serializing it per
 * subscriber was the API's whole cost at scale, so a shared batch is serialized once per wire
 * format: superjson's document once for server-sent events, and the finished JSON text once for
 * WebSockets, into which each subscriber's message splices only its own ids.
 */

interface SharedEncoding {
  /** The superjson document of the batch, as server-sent events send it (JSON-encoded per stream). */
  document?: ReturnType<typeof superjson.serialize>;
  /** The JSON text of `{ id, data: batch }` around the tracked id, as a socket message carries it. */
  tracked?: { head: string; tail: string };
  /** The batch cut into messages of at most `limit` events, each shared in turn. */
  slices?: { limit: number; batches: LiveEvent[][] };
}

const sharedBatches = new WeakMap<readonly LiveEvent[], SharedEncoding>();

/** Marks a batch that many subscribers will send as is: it is serialized once, then reused. */
export function shareBatch(batch: readonly LiveEvent[]): void {
  sharedBatches.set(batch, {});
}

/** `batch` in messages of at most `limit` events; a shared batch is cut once, its slices shared too. */
export function slicesOf(batch: LiveEvent[], limit: number): LiveEvent[][] {
  if (batch.length <= limit) return [batch];
  const shared = sharedBatches.get(batch);
  if (shared?.slices?.limit === limit) return shared.slices.batches;
  const batches: LiveEvent[][] = [];
  for (let start = 0; start < batch.length; start += limit) batches.push(batch.slice(start, start + limit));
  if (shared) {
    for (const slice of batches) shareBatch(slice);
    shared.slices = { limit, batches };
  }
  return batches;
}

const idPlaceholder = "\u0000tracked-id\u0000";
const idPlaceholderJson = JSON.stringify(idPlaceholder);

/** Output already encoded as JSON text; the socket encoder splices it into its envelope unchanged. */
class EncodedJson {
  constructor(readonly text: string) {}

  /** Any other writer still gets the right value, only not the shortcut. */
  toJSON(): unknown {
    return JSON.parse(this.text);
  }
}

/** A tracked message (`{ id, data }`) whose data is a shared batch: its id, batch and encodings. */
function trackedSharedBatch(value: unknown): { id: string; data: readonly LiveEvent[]; shared: SharedEncoding } | null {
  if (typeof value !== "object" || value === null || !("data" in value) || !("id" in value)) return null;
  const { id, data } = value;
  const shared = typeof id === "string" && Array.isArray(data) ? sharedBatches.get(data) : undefined;
  return shared ? { id: id as string, data: data as LiveEvent[], shared } : null;
}

function serializeOutput(value: unknown): unknown {
  if (Array.isArray(value)) {
    const shared = sharedBatches.get(value);
    if (shared) {
      shared.document ??= superjson.serialize(value);
      return shared.document;
    }
  }
  const tracked = trackedSharedBatch(value);
  if (tracked) {
    const { shared } = tracked;
    if (!shared.tracked) {
      const text = JSON.stringify(superjson.serialize({ id: idPlaceholder, data: tracked.data }));
      const at = text.indexOf(idPlaceholderJson);
      shared.tracked = { head: text.slice(0, at), tail: text.slice(at + idPlaceholderJson.length) };
    }
    return new EncodedJson(shared.tracked.head + JSON.stringify(tracked.id) + shared.tracked.tail);
  }
  return superjson.serialize(value);
}

/** superjson both ways (dates stay dates), with shared batches serialized once. */
export const wireTransformer: CombinedDataTransformer = {
  input: superjson,
  output: { serialize: serializeOutput, deserialize: (value) => superjson.deserialize(value) },
};

const encodedPlaceholder = "\u0000encoded\u0000";
const encodedPlaceholderJson = JSON.stringify(encodedPlaceholder);

/** tRPC's JSON messages over the socket, with already-encoded data spliced in instead of re-encoded. */
export const liveSocketEncoder: Encoder = {
  encode(message) {
    const result = (message as { result?: { data?: unknown } }).result;
    if (!(result?.data instanceof EncodedJson)) return JSON.stringify(message);
    const envelope = JSON.stringify({ ...(message as object), result: { ...result, data: encodedPlaceholder } });
    const at = envelope.indexOf(encodedPlaceholderJson);
    return envelope.slice(0, at) + result.data.text + envelope.slice(at + encodedPlaceholderJson.length);
  },
  decode: (data) => jsonEncoder.decode(data),
};
