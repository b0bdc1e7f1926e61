import { type RunStatus, runStatusSchema, taskNameSchema } from "@conveyor/shared";
import { z } from "zod";

/*
 * The runs view's filters live in the URL (`#/runs?status=failed&after=1h&q=…`), so a filtered
 * table is a link to share. A time range is either a preset relative to when the link is opened
 * (`after=1h`: the last hour, whenever that is) or fixed instants (`after=<ISO>&before=<ISO>`).
 */

/** The names the filters have in the URL. */
export const filterParams = ["status", "task", "queue", "after", "before", "q"] as const;
export type FilterParam = (typeof filterParams)[number];

/** "Created in the last …" choices; the key is what `after` holds in the URL. */
export const timePresets = [
  { key: "15m", label: "Last 15 minutes", ms: 15 * 60_000 },
  { key: "1h", label: "Last hour", ms: 3_600_000 },
  { key: "1d", label: "Last day", ms: 86_400_000 },
  { key: "7d", label: "Last 7 days", ms: 7 * 86_400_000 },
] as const;

/** The filters as the URL holds them: raw, but only values the API would accept. */
export interface UrlFilters {
  status: RunStatus | undefined;
  task: string | undefined;
  queue: string | undefined;
  /** A preset key or an ISO instant. */
  after: string | undefined;
  /** An ISO instant. */
  before: string | undefined;
  /** A run id or an idempotency key. */
  q: string | undefined;
}

const queueSchema = z.string().trim().min(1).max(128);
const searchSchema = z.string().trim().min(1).max(200);

function instantOf(value: string | undefined): Date | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function presetOf(value: string | undefined) {
  return timePresets.find((preset) => preset.key === value);
}

/** Reads the filters from the URL; a hand-edited value the API would refuse is ignored rather than sent. */
export function filtersFromParams(params: URLSearchParams): UrlFilters {
  const after = params.get("after") ?? undefined;
  const before = params.get("before") ?? undefined;
  return {
    status: runStatusSchema.safeParse(params.get("status")).data,
    task: taskNameSchema.safeParse(params.get("task")).data,
    queue: queueSchema.safeParse(params.get("queue")).data,
    after: presetOf(after) || instantOf(after) ? after : undefined,
    before: instantOf(before) ? before : undefined,
    q: searchSchema.safeParse(params.get("q")).data,
  };
}

/** Whether any filter narrows the listing. */
export function isFiltered(filters: UrlFilters): boolean {
  return filterParams.some((name) => filters[name] !== undefined);
}

/** One string per filter set: a new one means a new listing and a new feed. */
export function filtersKey(filters: UrlFilters): string {
  return filterParams.map((name) => filters[name] ?? "").join("|");
}

/** The time-range choice shown in the select: a preset key, `custom`, or `` for any time. */
export function timeRangeOf(filters: UrlFilters): string {
  if (filters.before !== undefined) return "custom";
  if (filters.after === undefined) return "";
  return presetOf(filters.after) ? filters.after : "custom";
}

/** The listing's query: presets resolved against `now` (once, when the listing starts). */
export interface ListingFilters {
  status?: RunStatus;
  task?: string;
  queue?: string;
  createdAfter?: Date;
  createdBefore?: Date;
  search?: string;
}

export function listingFiltersOf(filters: UrlFilters, now: number): ListingFilters {
  const preset = presetOf(filters.after);
  const createdAfter = preset ? new Date(now - preset.ms) : instantOf(filters.after);
  const createdBefore = instantOf(filters.before);
  return {
    ...(filters.status && { status: filters.status }),
    ...(filters.task && { task: filters.task }),
    ...(filters.queue && { queue: filters.queue }),
    ...(createdAfter && { createdAfter }),
    ...(createdBefore && { createdBefore }),
    ...(filters.q && { search: filters.q }),
  };
}

/** The value a `datetime-local` input shows for an ISO instant, in the reader's time zone. */
export function localInputOf(iso: string | undefined): string {
  const date = instantOf(iso);
  if (!date) return "";
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

/** The ISO instant a `datetime-local` value (reader's time zone) stands for; `` when empty or invalid. */
export function isoOfLocalInput(value: string): string {
  // "YYYY-MM-DDTHH:mm" without an offset is read as local time.
  const date = value ? new Date(value) : undefined;
  return date && !Number.isNaN(date.getTime()) ? date.toISOString() : "";
}

/** When a UUIDv7 was made: its first 48 bits are milliseconds since the epoch. */
export function timeOfRunId(id: string): number {
  return Number.parseInt(id.replace(/-/g, "").slice(0, 12), 16);
}
