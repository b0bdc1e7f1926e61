import { type RunStatus, runStatuses } from "@conveyor/shared";
import { trpc } from "../../trpc";

interface RunsFiltersProps {
  status: RunStatus | undefined;
  task: string | undefined;
  onChange: (name: "status" | "task", value: string) => void;
}

export function RunsFilters({ status, task, onChange }: RunsFiltersProps) {
  const tasks = trpc.tasks.list.useQuery(undefined, { staleTime: 60_000 });
  const taskNames = tasks.data?.map((info) => info.name) ?? [];
  // A task in a shared link may be one this API no longer has; keep it selectable to show that.
  if (task && !taskNames.includes(task)) taskNames.push(task);
  return (
    <search className="filters" aria-label="Filter runs">
      <div className="filter">
        <label htmlFor="filter-status">Status</label>
        <select id="filter-status" value={status ?? ""} onChange={(event) => onChange("status", event.target.value)}>
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
        <select id="filter-task" value={task ?? ""} onChange={(event) => onChange("task", event.target.value)}>
          <option value="">All tasks</option>
          {taskNames.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
      </div>
    </search>
  );
}
