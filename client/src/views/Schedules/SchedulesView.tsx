import { Link } from "wouter";
import { Listing, pageItems } from "../../components/Listing";
import { RequireRole, useCan } from "../../components/RequireRole";
import { type RouterOutputs, trpc } from "../../trpc";
import { FireTime } from "./FireTime";
import { PauseResumeButton } from "./PauseResumeButton";
import { useRefetchAfterFire } from "./useRefetchAfterFire";

type Schedule = RouterOutputs["schedules"]["list"]["items"][number];

const pageSize = 50;

/** What a schedule enqueues, in a few words. */
export function describeTarget(target: Schedule["target"]): string {
  return target.kind === "task" ? target.task : `${target.flow.kind} flow`;
}

/** Active or paused, as a pill. */
export function ScheduleStateBadge({ enabled }: { enabled: boolean }) {
  return (
    <span className={enabled ? "badge badge-succeeded" : "badge badge-cancelled"} data-testid="schedule-state">
      {enabled ? "active" : "paused"}
    </span>
  );
}

function SchedulesTable({ schedules }: { schedules: Schedule[] }) {
  const isAdmin = useCan("admin");
  return (
    <div className="table-scroll">
      <table className="runs-table schedules-table">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Schedule</th>
            <th scope="col">Timezone</th>
            <th scope="col">Target</th>
            <th scope="col">State</th>
            <th scope="col">Last fire</th>
            <th scope="col">Next fire</th>
            {isAdmin && <th scope="col">Actions</th>}
          </tr>
        </thead>
        <tbody>
          {schedules.map((schedule) => (
            <tr key={schedule.id} data-testid="schedule-row" data-schedule-id={schedule.id}>
              <td>
                <Link href={`/schedules/${schedule.id}`}>{schedule.name}</Link>
              </td>
              <td>
                <code>{schedule.cron}</code>
                <div className="muted schedule-cron-words">{schedule.description}</div>
              </td>
              <td>{schedule.timezone}</td>
              <td>{describeTarget(schedule.target)}</td>
              <td>
                <ScheduleStateBadge enabled={schedule.enabled} />
              </td>
              <td>
                <FireTime date={schedule.lastFiredAt} timezone={schedule.timezone} />
              </td>
              <td data-testid="schedule-next-fire">
                <FireTime date={schedule.nextFireAt} timezone={schedule.timezone} isRelative />
              </td>
              {isAdmin && (
                <td>
                  <div className="row-actions">
                    <PauseResumeButton schedule={schedule} />
                    <Link href={`/schedules/${schedule.id}/edit`} className="button-link button-small">
                      Edit
                    </Link>
                  </div>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Every schedule by name: its expression in words, its timezone, when it last and next fires. */
export function SchedulesView() {
  const schedules = trpc.schedules.list.useInfiniteQuery(
    { limit: pageSize },
    { getNextPageParam: (page) => page.nextCursor ?? undefined },
  );
  const items = pageItems(schedules.data);
  useRefetchAfterFire(
    items.map((schedule) => schedule.nextFireAt),
    () => void schedules.refetch(),
  );
  return (
    <div className="schedules">
      <div className="view-heading">
        <h1>Schedules</h1>
        <RequireRole atLeast="admin">
          <Link href="/schedules/new" className="button-link button-primary">
            New schedule
          </Link>
        </RequireRole>
      </div>
      <Listing query={schedules} items={items} noun="schedules" empty="No schedules yet.">
        {(listed) => <SchedulesTable schedules={listed} />}
      </Listing>
    </div>
  );
}
