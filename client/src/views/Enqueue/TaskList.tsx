import type { TaskInfo } from "@conveyor/shared";
import { useLocation } from "wouter";
import { RequireRole } from "../../components/RequireRole";
import { TaskPauseButton, usePausedTasks } from "./TaskPauseButton";

/** The tasks to choose from; the chosen one is in the URL (`#/enqueue/<task>`). Paused ones say so. */
export function TaskList({ tasks, selected }: { tasks: TaskInfo[]; selected: string | null }) {
  const [, navigate] = useLocation();
  const { pausedTasks, pauses } = usePausedTasks();
  return (
    <ul className="task-list" aria-label="Tasks">
      {tasks.map((task) => {
        const isPaused = pausedTasks.has(task.name);
        return (
          <li key={task.name} className="task-item" data-task-item={task.name} data-paused={isPaused}>
            <button
              type="button"
              className="task-option"
              aria-pressed={task.name === selected}
              data-task={task.name}
              onClick={() => navigate(`/enqueue/${task.name}`)}
            >
              <span className="task-name">
                {task.name}
                {isPaused && (
                  <span className="badge badge-paused" data-testid="task-paused">
                    paused
                  </span>
                )}
              </span>
              <span className="task-description">{task.description}</span>
            </button>
            {/* Until the pauses are read, a button could offer the wrong one of the two. */}
            {pauses.data && (
              <RequireRole atLeast="operator">
                <TaskPauseButton task={task.name} isPaused={isPaused} />
              </RequireRole>
            )}
          </li>
        );
      })}
    </ul>
  );
}
