import type { AppRouter } from "@conveyor/server";
import type {
  EnqueueOptions,
  EventDefinition,
  EventPayloadInput,
  LiveEvent,
  Run,
  TaskDefinition,
  TaskInput,
  TaskOutput,
} from "@conveyor/shared";
import { QueryClient, QueryClientProvider, skipToken } from "@tanstack/react-query";
import { createTRPCReact } from "@trpc/react-query";
import { type ReactNode, useCallback, useState } from "react";
import {
  type BundledEvent,
  type BundledEventName,
  type BundledTask,
  type BundledTaskName,
  eventName,
} from "../bundled.js";
import { type ClientOptions, conveyorLinks } from "../createClient.js";
import type { EmitOptions } from "../emit.js";

/*
 * React hooks for another app's UI, on @trpc/react-query and TanStack Query. Subscriptions share
 * one WebSocket per tab (the provider's client) and resume after their last event when it drops.
 */

const trpc = createTRPCReact<AppRouter>();

export interface ConveyorProviderProps {
  /** The server's base URL; `""` for a page served by Conveyor itself. */
  url: string;
  /** A token (`npm run token -- --role <role>`); without one, the browser's session cookie is sent. */
  token?: string | undefined;
  /** The app's own TanStack Query client, if it has one. */
  queryClient?: QueryClient | undefined;
  children?: ReactNode;
}

/** Makes the hooks below talk to one Conveyor: its queries batched over HTTP, its live hooks over one WebSocket. */
export function ConveyorProvider({ url, token, queryClient, children }: ConveyorProviderProps): ReactNode {
  const [clients] = useState(() => ({
    query: queryClient ?? new QueryClient(),
    trpc: trpc.createClient({ links: conveyorLinks({ url, token, transport: "websocket" } satisfies ClientOptions) }),
  }));
  return (
    <trpc.Provider client={clients.trpc} queryClient={clients.query}>
      <QueryClientProvider client={clients.query}>{children}</QueryClientProvider>
    </trpc.Provider>
  );
}

/** A run whose output is typed by its task. */
export type RunOf<T extends TaskDefinition> = Omit<Run, "output"> & { output: TaskOutput<T> | null };

type TaskOf<T> = T extends TaskDefinition ? T : T extends BundledTaskName ? BundledTask<T> : never;

/**
 * A run, live: read once, then read again whenever its events say it changed (its status,
 * progress, output). `task` (a definition or a bundled task's name) types its output.
 */
export function useRun<T extends TaskDefinition | BundledTaskName = TaskDefinition>(
  id: string | undefined,
  _task?: T,
): { run: RunOf<TaskOf<T>> | undefined; error: { message: string } | null; isLoading: boolean } {
  const utils = trpc.useUtils();
  const query = trpc.runs.get.useQuery(id === undefined ? skipToken : { id });
  trpc.runs.watch.useSubscription(id === undefined ? skipToken : { id }, {
    onData: () => {
      void utils.runs.get.invalidate({ id });
    },
  });
  return {
    run: query.data as RunOf<TaskOf<T>> | undefined,
    error: query.error,
    isLoading: query.isLoading,
  };
}

/** Enqueues runs of `task` (a definition or a bundled task's name), the input typed by it. */
export function useEnqueue<T extends TaskDefinition | BundledTaskName>(task: T) {
  const mutation = trpc.runs.enqueue.useMutation();
  const name = typeof task === "string" ? task : task.name;
  const { mutateAsync } = mutation;
  const enqueue = useCallback(
    (input: TaskInput<TaskOf<T>>, options?: EnqueueOptions) =>
      mutateAsync({ task: name, input, ...(options ? { options } : {}) }),
    [mutateAsync, name],
  );
  return { enqueue, isPending: mutation.isPending, error: mutation.error, data: mutation.data };
}

/** A flow with its progress, live: read again whenever one of its runs' events arrives. */
export function useFlow(id: string | undefined) {
  const utils = trpc.useUtils();
  const query = trpc.flows.get.useQuery(id === undefined ? skipToken : { id });
  trpc.flows.watch.useSubscription(id === undefined ? skipToken : { id }, {
    onData: () => {
      void utils.flows.get.invalidate({ id });
    },
  });
  return { flow: query.data, error: query.error, isLoading: query.isLoading };
}

export type EventFeedFilter = Parameters<typeof trpc.events.feed.useSubscription>[0];

/** The live feed's events as they come (filtered like `events.feed`), the newest `keep` kept. */
export function useEventFeed(filter: EventFeedFilter, options: { keep?: number } = {}) {
  const keep = options.keep ?? 200;
  const [events, setEvents] = useState<LiveEvent[]>([]);
  const subscription = trpc.events.feed.useSubscription(filter, {
    onData: ({ data }) => setEvents((current) => [...current, ...data].slice(-keep)),
  });
  return { events, error: subscription.error, status: subscription.status };
}

type EventOf<E> = E extends EventDefinition ? E : E extends BundledEventName ? BundledEvent<E> : never;

/** Emits `event` (a definition or a bundled event's name), the payload typed by it. */
export function useEmit<E extends EventDefinition | BundledEventName>(event: E) {
  const mutation = trpc.events.emit.useMutation();
  const name = eventName(event);
  const { mutateAsync } = mutation;
  const emit = useCallback(
    (payload: EventPayloadInput<EventOf<E>>, options?: EmitOptions) =>
      mutateAsync({ name, payload, ...(options?.idempotencyKey ? { idempotencyKey: options.idempotencyKey } : {}) }),
    [mutateAsync, name],
  );
  return { emit, isPending: mutation.isPending, error: mutation.error, data: mutation.data };
}
