import { ErrorBanner } from "../../components/Notice";
import { type RouterOutputs, trpc } from "../../trpc";

type Schedule = RouterOutputs["schedules"]["get"];

/** Pauses an enabled schedule or resumes a paused one; admins only (the caller checks). */
export function PauseResumeButton({ schedule }: { schedule: Pick<Schedule, "id" | "name" | "enabled"> }) {
  const utils = trpc.useUtils();
  const onSuccess = (saved: Schedule) => {
    utils.schedules.get.setData({ id: saved.id }, saved);
    void utils.schedules.list.invalidate();
  };
  const pause = trpc.schedules.pause.useMutation({ onSuccess });
  const resume = trpc.schedules.resume.useMutation({ onSuccess });
  const action = schedule.enabled ? pause : resume;
  const label = schedule.enabled ? "Pause" : "Resume";
  return (
    <>
      <button
        type="button"
        className="button-small"
        onClick={() => action.mutate({ id: schedule.id })}
        disabled={action.isPending}
        aria-busy={action.isPending}
        aria-label={`${label} ${schedule.name}`}
      >
        {label}
      </button>
      {action.isError && (
        <ErrorBanner title={`The schedule was not ${schedule.enabled ? "paused" : "resumed"}.`} error={action.error} />
      )}
    </>
  );
}
