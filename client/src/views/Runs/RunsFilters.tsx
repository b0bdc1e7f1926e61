import { runStatuses } from "@conveyor/shared";
import { type KeyboardEvent, useEffect, useRef, useState } from "react";
import { useTasks } from "../../useTasks";
import {
  type FilterParam,
  isoOfLocalInput,
  localInputOf,
  timePresets,
  timeRangeOf,
  type UrlFilters,
} from "./runFilters";

/** Typing waits this long before the URL (and so the listing) follows. */
const typingSettleMs = 300;

/** Sets some URL filters at once; an empty string removes one. */
export type SetFilters = (changes: Partial<Record<FilterParam, string>>) => void;

interface TextFilterProps {
  id: string;
  className?: string;
  label: string;
  placeholder: string;
  value: string | undefined;
  onCommit: (value: string) => void;
}

/** A text filter that follows the URL and writes to it once typing settles (or at once on Enter). */
function TextFilter({ id, className, label, placeholder, value, onCommit }: TextFilterProps) {
  const [draft, setDraft] = useState(value ?? "");
  // The URL changed under the input (back button, a link): show what it now holds.
  const [seen, setSeen] = useState(value);
  if (seen !== value) {
    setSeen(value);
    setDraft(value ?? "");
  }

  // The newest callback, so a parent's re-render does not restart the wait.
  const commit = useRef(onCommit);
  useEffect(() => {
    commit.current = onCommit;
  });
  useEffect(() => {
    if (draft.trim() === (value ?? "")) return;
    const timer = setTimeout(() => commit.current(draft.trim()), typingSettleMs);
    return () => clearTimeout(timer);
  }, [draft, value]);

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === "Enter") onCommit(draft.trim());
  };

  return (
    <div className={className ? `filter ${className}` : "filter"}>
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="search"
        value={draft}
        placeholder={placeholder}
        spellCheck={false}
        autoComplete="off"
        onChange={(event) => setDraft(event.target.value)}
        onKeyDown={onKeyDown}
      />
    </div>
  );
}

function TimeRangeFilter({ filters, onChange }: { filters: UrlFilters; onChange: SetFilters }) {
  const range = timeRangeOf(filters);
  // "Custom" stays open while its inputs are still empty; the URL alone cannot say so.
  const [isCustomChosen, setIsCustomChosen] = useState(range === "custom");
  const choice = range === "" && isCustomChosen ? "custom" : range;

  const onRangeChange = (value: string) => {
    setIsCustomChosen(value === "custom");
    if (value !== "custom") {
      onChange({ after: value, before: "" });
      return;
    }
    // From a preset, the custom range starts as that preset's, fixed at this instant.
    const preset = timePresets.find((candidate) => candidate.key === range);
    if (preset) onChange({ after: new Date(Date.now() - preset.ms).toISOString() });
  };

  return (
    <>
      <div className="filter">
        <label htmlFor="filter-created">Created</label>
        <select id="filter-created" value={choice} onChange={(event) => onRangeChange(event.target.value)}>
          <option value="">Any time</option>
          {timePresets.map((preset) => (
            <option key={preset.key} value={preset.key}>
              {preset.label}
            </option>
          ))}
          <option value="custom">Custom range…</option>
        </select>
      </div>
      {choice === "custom" && (
        <>
          <div className="filter filter-narrow">
            <label htmlFor="filter-after">Created after</label>
            <input
              id="filter-after"
              type="datetime-local"
              value={range === "custom" ? localInputOf(filters.after) : ""}
              onChange={(event) => onChange({ after: isoOfLocalInput(event.target.value) })}
            />
          </div>
          <div className="filter filter-narrow">
            <label htmlFor="filter-before">Created before</label>
            <input
              id="filter-before"
              type="datetime-local"
              value={localInputOf(filters.before)}
              onChange={(event) => onChange({ before: isoOfLocalInput(event.target.value) })}
            />
          </div>
        </>
      )}
    </>
  );
}

/** The runs' filters; every change goes to the URL, which the listing reads. */
export function RunsFilters({ filters, onChange }: { filters: UrlFilters; onChange: SetFilters }) {
  const tasks = useTasks();
  const taskNames = tasks.data?.map((info) => info.name) ?? [];
  // A task in a shared link may be one this API no longer has; keep it selectable to show that.
  if (filters.task && !taskNames.includes(filters.task)) taskNames.push(filters.task);
  const hasAny = Object.values(filters).some((value) => value !== undefined);
  // Clearing closes an open custom range too.
  const [clearCount, setClearCount] = useState(0);
  const clear = () => {
    setClearCount((count) => count + 1);
    onChange({ status: "", task: "", queue: "", after: "", before: "", q: "" });
  };
  return (
    <search className="filters" aria-label="Filter runs">
      <TextFilter
        id="filter-search"
        className="filter-search"
        label="Search"
        placeholder="Run id or idempotency key"
        value={filters.q}
        onCommit={(value) => onChange({ q: value })}
      />
      <div className="filter">
        <label htmlFor="filter-status">Status</label>
        <select
          id="filter-status"
          value={filters.status ?? ""}
          onChange={(event) => onChange({ status: event.target.value })}
        >
          <option value="">All statuses</option>
          {runStatuses.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
      </div>
      <div className="filter">
        <label htmlFor="filter-task">Task</label>
        <select
          id="filter-task"
          value={filters.task ?? ""}
          onChange={(event) => onChange({ task: event.target.value })}
        >
          <option value="">All tasks</option>
          {taskNames.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
      </div>
      <TextFilter
        id="filter-queue"
        label="Queue"
        placeholder="Any queue"
        value={filters.queue}
        onCommit={(value) => onChange({ queue: value })}
      />
      <TimeRangeFilter key={clearCount} filters={filters} onChange={onChange} />
      {hasAny && (
        <div className="filter filter-reset">
          <button type="button" onClick={clear}>
            Clear filters
          </button>
        </div>
      )}
    </search>
  );
}
