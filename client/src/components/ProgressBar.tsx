import type { RunProgress } from "@conveyor/shared";

/** "3/5 · Step 3/5": the count, then the task's own message when it gave one. */
export function formatProgress(progress: RunProgress): string {
  const count = progress.total === null ? `${progress.current}` : `${progress.current}/${progress.total}`;
  return progress.message ? `${count} · ${progress.message}` : count;
}

interface ProgressBarProps {
  progress: RunProgress;
  label: string;
  testId?: string;
}

/** Determinate when the task reported a total, indeterminate otherwise. */
export function ProgressBar({ progress, label, testId }: ProgressBarProps) {
  const { current, total } = progress;
  const isDeterminate = total !== null && total > 0;
  const fill = isDeterminate ? { width: `${Math.min(100, Math.max(0, (current / total) * 100))}%` } : undefined;
  return (
    <div
      className={isDeterminate ? "progress" : "progress progress-indeterminate"}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuenow={isDeterminate ? current : undefined}
      aria-valuemax={isDeterminate ? total : undefined}
      aria-valuetext={formatProgress(progress)}
      data-testid={testId}
    >
      <div className="progress-fill" style={fill} />
    </div>
  );
}
