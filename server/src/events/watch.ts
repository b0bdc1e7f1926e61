import {
  type EventFeedInput,
  isTerminal,
  type LiveEvent,
  type RunStatus,
  terminalRunEventTypes,
} from "@conveyor/shared";
import { TRPCError, tracked } from "@trpc/server";
import { eq, sql } from "drizzle-orm";
import { schema } from "../db/client.js";
import { NotFoundError } from "../errors.js";
import type { Context } from "../trpc.js";
import { feedFilter } from "./liveFilter.js";
import { streamEvents } from "./streamEvents.js";

function requireHub(ctx: Context) {
  if (!ctx.hub) throw new TRPCError({ code: "PRECONDITION_FAILED", message: "this process serves no subscriptions" });
  return ctx.hub;
}

/**
 * Runs a subscription inside the caller's per-token allowance, each batch tracked by its last
 * event's id: a client that reconnects sends it back and resumes right after it.
 */
async function* limited(ctx: Context, stream: AsyncGenerator<LiveEvent[]>) {
  const release = ctx.subscriptions.acquire(ctx.principal?.tokenId ?? "anonymous");
  try {
    for await (const batch of stream) yield tracked(String(batch.at(-1)?.id ?? 0), batch);
  } finally {
    release();
  }
}

/**
 * A subscription's body runs after the middleware that maps domain errors has returned, so a
 * missing record must become NOT_FOUND here (anything else would read as a server error, which
 * clients retry forever).
 */
async function mustExist(find: () => Promise<unknown>): Promise<void> {
  try {
    await find();
  } catch (error) {
    if (error instanceof NotFoundError)
      throw new TRPCError({ code: "NOT_FOUND", message: error.message, cause: error });
    throw error;
  }
}

/** The run's status alone (not its input and output), for the existence and finished checks. */
async function runStatus(ctx: Context, id: string): Promise<RunStatus> {
  const [run] = await ctx.db
    .select({ status: schema.runs.status })
    .from(schema.runs)
    .where(eq(schema.runs.id, id))
    .limit(1);
  if (!run) throw new NotFoundError(`run ${id} does not exist`);
  return run.status;
}

/** Existence only: the flow's runs and edges are not needed to watch it. */
async function requireFlow(ctx: Context, id: string): Promise<void> {
  const [flow] = await ctx.db.select({ id: schema.flows.id }).from(schema.flows).where(eq(schema.flows.id, id));
  if (!flow) throw new NotFoundError(`flow ${id} does not exist`);
}

const after = (lastEventId: string | null | undefined) => (lastEventId ? Number(lastEventId) : 0);

async function hasLaterEvents(ctx: Context, runId: string, eventId: number): Promise<boolean> {
  const result = await ctx.db.execute<{ later: boolean }>(
    sql`select exists (select 1 from events where run_id = ${runId} and id > ${eventId}) as later`,
  );
  return result.rows[0]?.later ?? false;
}

async function hasLaterFlowEvents(ctx: Context, flowId: string, eventId: number): Promise<boolean> {
  const result = await ctx.db.execute<{ later: boolean }>(
    sql`select exists (select 1 from events where flow_id = ${flowId} and id > ${eventId}) as later`,
  );
  return result.rows[0]?.later ?? false;
}

/** A run's events: its history, then live, ending with its terminal event. */
export async function* watchRun(
  ctx: Context,
  input: { id: string; lastEventId?: string | null | undefined },
  signal?: AbortSignal,
) {
  const hub = requireHub(ctx);
  await mustExist(() => runStatus(ctx, input.id));
  const stream = streamEvents(hub, ctx.db, {
    filter: { kind: "run", runId: input.id },
    connection: ctx.connection,
    after: after(input.lastEventId),
    // A failure followed by a retry is not the end: only a terminal event with nothing after it is.
    isLast: async (event) => terminalRunEventTypes.has(event.type) && !(await hasLaterEvents(ctx, input.id, event.id)),
    isFinished: async () => isTerminal(await runStatus(ctx, input.id)),
    signal,
  });
  yield* limited(ctx, stream);
}

/** A flow's events, ending once every run of it has finished. */
export async function* watchFlow(
  ctx: Context,
  input: { id: string; lastEventId?: string | null | undefined },
  signal?: AbortSignal,
) {
  const hub = requireHub(ctx);
  await mustExist(() => requireFlow(ctx, input.id));
  // A finished flow stays finished: once seen, every later terminal event needs no query for it.
  let hasFinished = false;
  const isFlowFinished = async () => {
    if (hasFinished) return true;
    const [flow] = await ctx.db
      .select({ finishedAt: schema.flows.finishedAt })
      .from(schema.flows)
      .where(eq(schema.flows.id, input.id));
    hasFinished = flow?.finishedAt != null;
    return hasFinished;
  };
  const stream = streamEvents(hub, ctx.db, {
    filter: { kind: "flow", flowId: input.id },
    connection: ctx.connection,
    after: after(input.lastEventId),
    // The flow's last event, not merely one terminal event seen after the flow finished.
    isLast: async (event) =>
      terminalRunEventTypes.has(event.type) &&
      (await isFlowFinished()) &&
      !(await hasLaterFlowEvents(ctx, input.id, event.id)),
    isFinished: isFlowFinished,
    signal,
  });
  yield* limited(ctx, stream);
}

/** Every event, or those of one task, queue or status: the dashboard's firehose. Never ends. */
export async function* eventFeed(ctx: Context, input: EventFeedInput, signal?: AbortSignal) {
  const hub = requireHub(ctx);
  const stream = streamEvents(hub, ctx.db, {
    filter: feedFilter(input),
    connection: ctx.connection,
    after: input.lastEventId ? Number(input.lastEventId) : undefined,
    signal,
  });
  yield* limited(ctx, stream);
}
