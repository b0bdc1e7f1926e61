import type { TaskInfo } from "@conveyor/shared";
import { useLocation } from "wouter";

/** The tasks to choose from; the chosen one is in the URL (`#/enqueue/<task>`). */
export function TaskList({ tasks, selected }: { tasks: TaskInfo[]; selected: string | null }) {
  const [, navigate] = useLocation();
  return (
    <ul className="task-list" aria-label="Tasks">
      {tasks.map((task) => (
        <li key={task.name}>
          <button
            type="button"
            className="task-option"
            aria-pressed={task.name === selected}
            data-task={task.name}
            onClick={() => navigate(`/enqueue/${task.name}`)}
          >
            <span className="task-name">{task.name}</span>
            <span className="task-description">{task.description}</span>
          </button>
        </li>
      ))}
    </ul>
  );
}
