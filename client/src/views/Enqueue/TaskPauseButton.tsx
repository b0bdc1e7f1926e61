import { ErrorBanner } from "../../components/Notice";
import { trpc } from "../../trpc";

/** The names of the paused tasks, as `pauses.list` has them. */
export function usePausedTasks() {
  const pauses = trpc.pauses.list.useQuery();
  const names = new Set(pauses.data?.filter((pause) => pause.kind === "task").map((pause) => pause.name));
  return { pausedTasks: names, pauses };
}

/** Pauses a task (no run of it starts; running attempts finish) or resumes it; operators only (the caller checks). */
export function TaskPauseButton({ task, isPaused }: { task: string; isPaused: boolean }) {
  const utils = trpc.useUtils();
  const onSuccess = () => utils.pauses.list.invalidate();
  const pause = trpc.pauses.pause.useMutation({ onSuccess });
  const resume = trpc.pauses.resume.useMutation({ onSuccess });
  const action = isPaused ? resume : pause;
  const label = isPaused ? "Resume" : "Pause";
  return (
    <>
      <button
        type="button"
        className="button-small"
        onClick={() => action.mutate({ kind: "task", name: task })}
        disabled={action.isPending}
        aria-busy={action.isPending}
        aria-label={`${label} ${task}`}
      >
        {label}
      </button>
      {action.isError && (
        <ErrorBanner title={`The task was not ${isPaused ? "resumed" : "paused"}.`} error={action.error} />
      )}
    </>
  );
}
