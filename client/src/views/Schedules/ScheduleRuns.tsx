import { Link } from "wouter";
import { ErrorBanner, Placeholder } from "../../components/Notice";
import { StatusBadge } from "../../components/StatusBadge";
import { Timestamp } from "../../components/Timestamp";
import { trpc } from "../../trpc";

/** Runs shown per schedule. */
const shownRuns = 5;
/** How many of the task's latest runs are searched for the schedule's own. */
const searchedRuns = 200;

/**
 * The schedule's latest runs. `runs.list` cannot filter by schedule, so the task's latest runs are
 * read and those the schedule made kept: a schedule whose runs are buried under many others of
 * the same task shows fewer than it made.
 */
export function ScheduleRuns({ scheduleId, task }: { scheduleId: string; task: string }) {
  const runs = trpc.runs.list.useQuery({ task, limit: searchedRuns });
  const mine = (runs.data?.items ?? []).filter((run) => run.scheduleId === scheduleId).slice(0, shownRuns);
  return (
    <section className="card" aria-labelledby="schedule-runs-title">
      <h2 id="schedule-runs-title">Latest runs</h2>
      {runs.isPending && <Placeholder>Loading runs…</Placeholder>}
      {runs.isError && <ErrorBanner title="Could not load the runs." error={runs.error} />}
      {runs.isSuccess && mine.length === 0 && (
        <p className="muted">No runs of this schedule among the task's latest.</p>
      )}
      {mine.length > 0 && (
        <ul className="schedule-runs" data-testid="schedule-runs">
          {mine.map((run) => (
            <li key={run.id}>
              <Link href={`/runs/${run.id}`} className="run-id">
                {run.id}
              </Link>
              <StatusBadge status={run.status} />
              <Timestamp date={run.createdAt} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
