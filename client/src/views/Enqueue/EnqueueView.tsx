import type { TaskInfo } from "@conveyor/shared";
import { Link } from "wouter";
import { ErrorBanner, Placeholder } from "../../components/Notice";
import { RequireRole } from "../../components/RequireRole";
import { useSession } from "../../components/SessionGate";
import { useTasks } from "../../useTasks";
import { TaskForm } from "./TaskForm";
import { TaskKeyLoad } from "./TaskKeyLoad";
import { TaskList } from "./TaskList";
import "./enqueue.css";

function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms % 1_000 === 0) return `${ms / 1_000} s`;
  return `${ms} ms`;
}

function TaskDefaults({ defaults }: { defaults: TaskInfo["defaults"] }) {
  return (
    <dl className="defaults">
      <div>
        <dt>Queue</dt>
        <dd>{defaults.queue ?? "parallel"}</dd>
      </div>
      <div>
        <dt>Priority</dt>
        <dd>{defaults.priority}</dd>
      </div>
      <div>
        <dt>Attempts</dt>
        <dd>{defaults.maxAttempts}</dd>
      </div>
      <div>
        <dt>Timeout</dt>
        <dd>{formatDuration(defaults.timeoutMs)}</dd>
      </div>
    </dl>
  );
}

function ChosenTask({ tasks, taskName }: { tasks: TaskInfo[]; taskName: string | null }) {
  if (taskName === null) return <Placeholder>Choose a task to enqueue a run of it.</Placeholder>;
  const task = tasks.find((candidate) => candidate.name === taskName);
  if (!task) return <Placeholder>This API has no task named “{taskName}”.</Placeholder>;
  return (
    <section className="card" aria-labelledby="task-title">
      <h2 id="task-title" className="task-title">
        {task.name}
      </h2>
      <p className="muted">{task.description}</p>
      <TaskDefaults defaults={task.defaults} />
      {task.maxPerKey !== null && <TaskKeyLoad task={task.name} maxPerKey={task.maxPerKey} />}
      {/* A fresh form per task: its fields, defaults and errors belong to that task alone. */}
      <TaskForm key={task.name} task={task} />
    </section>
  );
}

/** In place of the view for a caller who may read runs but not enqueue them. */
export function EnqueueNotAllowed() {
  const session = useSession();
  const role = session.data?.role ?? "current";
  return (
    <section className="card" aria-labelledby="role-notice-title" data-testid="role-notice">
      <h1 id="role-notice-title">Read-only access</h1>
      <p>Your {role} token can read runs but not enqueue them.</p>
      <p>
        <Link href="/runs">See the runs</Link>
      </p>
    </section>
  );
}

/** Switches between enqueueing one run and building a flow. */
export function EnqueueTabs({ current }: { current: "run" | "flow" }) {
  return (
    <nav aria-label="What to enqueue" className="enqueue-tabs">
      <Link href="/" aria-current={current === "run" ? "page" : undefined}>
        Single run
      </Link>
      <Link href="/enqueue-flow" aria-current={current === "flow" ? "page" : undefined}>
        Chain or group
      </Link>
    </nav>
  );
}

function TaskChooser({ taskName }: { taskName: string | null }) {
  const tasks = useTasks();
  return (
    <div className="enqueue">
      <h1>Enqueue a run</h1>
      <EnqueueTabs current="run" />
      {tasks.isPending && <Placeholder>Loading tasks…</Placeholder>}
      {tasks.isError && <ErrorBanner title="Could not load the tasks." error={tasks.error} />}
      {tasks.data?.length === 0 && <Placeholder>This API has no tasks.</Placeholder>}
      {tasks.data && tasks.data.length > 0 && (
        <div className="enqueue-layout">
          <TaskList tasks={tasks.data} selected={taskName} />
          <ChosenTask tasks={tasks.data} taskName={taskName} />
        </div>
      )}
    </div>
  );
}

/** Choose a task, fill in its input, enqueue a run; operators and admins only. */
export function EnqueueView({ taskName }: { taskName: string | null }) {
  return (
    <RequireRole atLeast="operator" fallback={<EnqueueNotAllowed />}>
      <TaskChooser taskName={taskName} />
    </RequireRole>
  );
}
