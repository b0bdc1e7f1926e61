import { type EventFeedInput, eventTypesEntering, type LiveEvent, type RunEventType } from "@conveyor/shared";
import { type SQL, sql } from "drizzle-orm";

/** What one live subscription selects: a run's events, a flow's, or the feed's task/queue/type filter. */
export type LiveFilter =
  | { kind: "run"; runId: string }
  | { kind: "flow"; flowId: string }
  | { kind: "feed"; task: string | null; queue: string | null; types: readonly RunEventType[] | null };

/** The feed's filter from its input: a status selects the event types that move runs into it. */
export function feedFilter(input: EventFeedInput): LiveFilter {
  return {
    kind: "feed",
    task: input.task ?? null,
    queue: input.queue ?? null,
    types: input.status ? eventTypesEntering(input.status) : null,
  };
}

/** Subscriptions with equal keys receive exactly the same events, so they share one batch per delivery. */
export function filterKey(filter: LiveFilter): string {
  switch (filter.kind) {
    case "run":
      return `run:${filter.runId}`;
    case "flow":
      return `flow:${filter.flowId}`;
    case "feed":
      return `feed:${JSON.stringify([filter.task, filter.queue, filter.types])}`;
  }
}

export function matchesFilter(filter: LiveFilter, event: LiveEvent): boolean {
  switch (filter.kind) {
    case "run":
      return event.runId === filter.runId;
    case "flow":
      return event.flowId === filter.flowId;
    case "feed":
      return (
        (filter.task === null || event.task === filter.task) &&
        (filter.queue === null || event.queue === filter.queue) &&
        (filter.types === null || filter.types.includes(event.type))
      );
  }
}

/** The same selection as `matchesFilter`, for reading the backlog (`e` is events, `r` its run). */
export function filterSql(filter: LiveFilter): SQL {
  switch (filter.kind) {
    case "run":
      return sql`e.run_id = ${filter.runId}`;
    case "flow":
      return sql`e.flow_id = ${filter.flowId}`;
    case "feed": {
      const conditions: SQL[] = [sql`true`];
      if (filter.task !== null) conditions.push(sql`r.task = ${filter.task}`);
      if (filter.queue !== null) conditions.push(sql`r.queue = ${filter.queue}`);
      if (filter.types !== null) conditions.push(sql`e.type in ${filter.types}`);
      return sql.join(conditions, sql` and `);
    }
  }
}
