import { keepPreviousData } from "@tanstack/react-query";
import { useSearchParams } from "wouter";
import { ErrorBanner, Placeholder } from "../../components/Notice";
import { useRefreshOnRunsFinished } from "../../refreshOnRunsFinished";
import { trpc } from "../../trpc";
import { DurationsChart, FailureRate, QueueDepthChart, ThroughputChart } from "./OverviewCharts";

/** Windows offered, in minutes; the API accepts 5 to 1,440. */
const windows = [15, 60, 240, 1_440] as const;
const defaultWindow = 60;

function windowLabel(minutes: number): string {
  return minutes < 60 ? `${minutes} minutes` : minutes === 60 ? "1 hour" : `${minutes / 60} hours`;
}

/**
 * Throughput, failure rate, queue depth and durations over a window held in the URL. The numbers
 * are aggregates the server computes; they are read again when the feed reports runs finishing,
 * at most once every 2 s, rather than on a timer.
 */
export function OverviewView() {
  const [params, setParams] = useSearchParams();
  const asked = Number(params.get("window"));
  const windowMinutes = (windows as readonly number[]).includes(asked) ? asked : defaultWindow;
  const utils = trpc.useUtils();
  const overview = trpc.stats.overview.useQuery({ windowMinutes }, { placeholderData: keepPreviousData });
  useRefreshOnRunsFinished(() => void utils.stats.overview.invalidate());

  return (
    <div className="overview">
      <div className="view-heading">
        <h1>Overview</h1>
        <div className="filter filter-inline">
          <label htmlFor="overview-window">Window</label>
          <select
            id="overview-window"
            value={windowMinutes}
            onChange={(event) => setParams({ window: event.target.value }, { replace: true })}
          >
            {windows.map((minutes) => (
              <option key={minutes} value={minutes}>
                Last {windowLabel(minutes)}
              </option>
            ))}
          </select>
        </div>
      </div>
      {overview.isPending && <Placeholder>Loading the overview…</Placeholder>}
      {overview.isError && <ErrorBanner title="Could not load the overview." error={overview.error} />}
      {overview.data && (
        <div className="overview-grid" aria-busy={overview.isPlaceholderData}>
          <div className="overview-wide">
            <ThroughputChart overview={overview.data} />
          </div>
          <FailureRate overview={overview.data} />
          <QueueDepthChart overview={overview.data} />
          <div className="overview-wide">
            <DurationsChart overview={overview.data} />
          </div>
        </div>
      )}
    </div>
  );
}
