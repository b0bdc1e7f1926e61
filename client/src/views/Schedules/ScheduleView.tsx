import { useState } from "react";
import { Link, useLocation } from "wouter";
import { Detail } from "../../components/Detail";
import { JsonBlock } from "../../components/JsonBlock";
import { ErrorBanner, Placeholder } from "../../components/Notice";
import { RequireRole } from "../../components/RequireRole";
import { Timestamp } from "../../components/Timestamp";
import { isMissing, type RouterOutputs, trpc } from "../../trpc";
import { useTasks } from "../../useTasks";
import { FireTime } from "./FireTime";
import { PauseResumeButton } from "./PauseResumeButton";
import { ScheduleForm } from "./ScheduleForm";
import { ScheduleRuns } from "./ScheduleRuns";
import { describeTarget, ScheduleStateBadge } from "./SchedulesView";
import { useRefetchAfterFire } from "./useRefetchAfterFire";

type Schedule = RouterOutputs["schedules"]["get"];

/** Asks once, then deletes; the runs it already made stay. */
function DeleteScheduleButton({ schedule }: { schedule: Schedule }) {
  const [isConfirming, setIsConfirming] = useState(false);
  const utils = trpc.useUtils();
  const [, navigate] = useLocation();
  const remove = trpc.schedules.delete.useMutation({
    onSuccess: () => {
      void utils.schedules.list.invalidate();
      navigate("/schedules");
    },
  });
  if (!isConfirming)
    return (
      <button type="button" className="button-small" onClick={() => setIsConfirming(true)}>
        Delete…
      </button>
    );
  return (
    <>
      <button
        type="button"
        className="button-small button-danger"
        onClick={() => remove.mutate({ id: schedule.id })}
        disabled={remove.isPending}
      >
        Delete {schedule.name}
      </button>
      <button type="button" className="button-small" onClick={() => setIsConfirming(false)}>
        Keep it
      </button>
      {remove.isError && <ErrorBanner title="The schedule was not deleted." error={remove.error} />}
    </>
  );
}

/** One schedule: its expression in words, fire times, target and latest runs. */
export function ScheduleView({ id }: { id: string }) {
  const schedule = trpc.schedules.get.useQuery({ id });
  useRefetchAfterFire([schedule.data?.nextFireAt ?? null], () => void schedule.refetch());
  const data = schedule.data;
  return (
    <div className="schedule">
      <div className="view-heading">
        <h1>{data ? data.name : "Schedule"}</h1>
        {data && <ScheduleStateBadge enabled={data.enabled} />}
        {data && (
          <RequireRole atLeast="admin">
            <div className="row-actions">
              <PauseResumeButton schedule={data} />
              <Link href={`/schedules/${id}/edit`} className="button-link button-small">
                Edit
              </Link>
              <DeleteScheduleButton schedule={data} />
            </div>
          </RequireRole>
        )}
      </div>
      {schedule.isPending && <Placeholder>Loading schedule…</Placeholder>}
      {isMissing(schedule.error) && <Placeholder>There is no schedule with this id.</Placeholder>}
      {schedule.isError && !isMissing(schedule.error) && (
        <ErrorBanner title="Could not load the schedule." error={schedule.error} />
      )}
      {data && (
        <>
          <section className="card">
            <dl className="details">
              <Detail term="Cron">
                <code data-testid="schedule-cron">{data.cron}</code>
              </Detail>
              <Detail term="In words">
                <span data-testid="schedule-description">{data.description}</span>
              </Detail>
              <Detail term="Timezone">{data.timezone}</Detail>
              <Detail term="Target">{describeTarget(data.target)}</Detail>
              <Detail term="Last fire">
                <FireTime date={data.lastFiredAt} timezone={data.timezone} isRelative />
              </Detail>
              <Detail term="Next fire">
                <span data-testid="schedule-next-fire">
                  {data.enabled ? (
                    <FireTime date={data.nextFireAt} timezone={data.timezone} isRelative />
                  ) : (
                    <span className="muted">paused</span>
                  )}
                </span>
              </Detail>
              <Detail term="Backfill window">
                {data.backfillWindowMs === 0 ? "none" : `${Math.round(data.backfillWindowMs / 60_000)} min`}
              </Detail>
              <Detail term="Updated">
                <Timestamp date={data.updatedAt} />
              </Detail>
            </dl>
          </section>
          <section className="card" aria-labelledby="schedule-target-title">
            <h2 id="schedule-target-title">{data.target.kind === "task" ? "Input" : "Flow"}</h2>
            <JsonBlock value={data.target.kind === "task" ? data.target.input : data.target.flow} />
          </section>
          {data.target.kind === "task" && <ScheduleRuns scheduleId={id} task={data.target.task} />}
        </>
      )}
    </div>
  );
}

/** In place of the form for a caller who may read schedules but not change them. */
function SchedulesReadOnly() {
  return (
    <section className="card" data-testid="role-notice">
      <h1>Read-only access</h1>
      <p>Only admins create and change schedules.</p>
      <p>
        <Link href="/schedules">See the schedules</Link>
      </p>
    </section>
  );
}

/** A new schedule. */
export function NewScheduleView() {
  const tasks = useTasks();
  return (
    <RequireRole atLeast="admin" fallback={<SchedulesReadOnly />}>
      <div className="schedule">
        <h1>New schedule</h1>
        {tasks.isPending && <Placeholder>Loading tasks…</Placeholder>}
        {tasks.isError && <ErrorBanner title="Could not load the tasks." error={tasks.error} />}
        {tasks.data && (
          <section className="card">
            <ScheduleForm tasks={tasks.data} />
          </section>
        )}
      </div>
    </RequireRole>
  );
}

/** Changes a schedule's name, expression, timezone, target or state. */
export function EditScheduleView({ id }: { id: string }) {
  const tasks = useTasks();
  const schedule = trpc.schedules.get.useQuery({ id });
  return (
    <RequireRole atLeast="admin" fallback={<SchedulesReadOnly />}>
      <div className="schedule">
        <h1>Edit {schedule.data ? schedule.data.name : "schedule"}</h1>
        {(tasks.isPending || schedule.isPending) && <Placeholder>Loading…</Placeholder>}
        {isMissing(schedule.error) && <Placeholder>There is no schedule with this id.</Placeholder>}
        {tasks.isError && <ErrorBanner title="Could not load the tasks." error={tasks.error} />}
        {schedule.isError && !isMissing(schedule.error) && (
          <ErrorBanner title="Could not load the schedule." error={schedule.error} />
        )}
        {tasks.data && schedule.data && (
          <section className="card">
            {/* The form starts from what was saved when it opened, and is the editor's from then on. */}
            <ScheduleForm key={schedule.data.id} tasks={tasks.data} schedule={schedule.data} />
          </section>
        )}
      </div>
    </RequireRole>
  );
}
