import { type LiveEvent, reportGenerate } from "@conveyor/shared";
import { useInfiniteQuery } from "@tanstack/react-query";
import { getQueryKey } from "@trpc/react-query";
import { useState } from "react";
import { Listing, pageItems } from "../../../components/Listing";
import { useCan } from "../../../components/RequireRole";
import { trpc } from "../../../trpc";
import { type FollowedRun, useFollowedRuns } from "../useFollowedRuns";
import { GenerateForm } from "./GenerateForm";
import { ReportRuns } from "./ReportRuns";
import { ReportsTable } from "./ReportsTable";

/** Runs shown with their progress: the newest this many. */
const followedRuns = 8;

/** Reports per page. */
const listInput = { limit: 20 };

/**
 * Workers write reports without telling the API, so the listing is cached for a second at most
 * rather than invalidated: a report whose run has just succeeded may take that long to be listed.
 * The listing is read again this often, only while such a report is missing, and for this long.
 */
const missingReportPollMs = 1_000;
const missingReportWindowMs = 30_000;

/** Newest first: run ids are UUIDv7, ordered by creation time. */
function newestRuns(ids: Iterable<string>): string[] {
  return [...new Set(ids)].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0)).slice(0, followedRuns);
}

function reportUrlOf(run: FollowedRun | undefined): string | undefined {
  return run?.status === "succeeded" ? reportGenerate.output.safeParse(run.output).data?.reportUrl : undefined;
}

/** Generate reports: each run's progress live, then the reports it built. */
export function ReportsView() {
  const canGenerate = useCan("operator");
  const utils = trpc.useUtils();
  // The runs under way when the page opened; later ones arrive on the feed (or from the form).
  const recent = trpc.runs.list.useQuery({ task: reportGenerate.name, limit: followedRuns });
  const [arrived, setArrived] = useState<readonly string[]>([]);
  const ids = newestRuns([...arrived, ...(recent.data?.items.map((run) => run.id) ?? [])]);

  const onEvents = (events: LiveEvent[]) => {
    const runIds = events.flatMap((event) => (event.runId ? [event.runId] : []));
    if (runIds.some((id) => !ids.includes(id))) setArrived((previous) => newestRuns([...runIds, ...previous]));
    if (events.some((event) => event.type === "run.succeeded")) void utils.reports.list.invalidate();
  };
  const runs = useFollowedRuns(reportGenerate.name, ids, { onEvents });

  // Not tRPC's useInfiniteQuery: it always sends `direction`, which `reports.list` does not take.
  // tRPC's own key keeps `utils.reports.list.invalidate()` reaching these pages.
  const reports = useInfiniteQuery({
    queryKey: getQueryKey(trpc.reports.list, listInput, "infinite"),
    queryFn: ({ pageParam }) => utils.client.reports.list.query({ ...listInput, cursor: pageParam }),
    initialPageParam: undefined as number | undefined,
    getNextPageParam: (page) => page.nextCursor ?? undefined,
    refetchInterval: (query) => {
      const listed = new Set(pageItems(query.state.data).map((report) => report.reportUrl));
      const isReportMissing = ids.some((id) => {
        const run = runs.get(id);
        const url = reportUrlOf(run);
        const finishedAt = run?.finishedAt?.getTime() ?? 0;
        return url !== undefined && !listed.has(url) && finishedAt > query.state.dataUpdatedAt - missingReportWindowMs;
      });
      return isReportMissing ? missingReportPollMs : false;
    },
  });
  return (
    <>
      <h1>Reports</h1>
      <p className="lead">
        <code>report.generate</code> builds a user's report in five steps, retried with backoff when a step fails; a
        user has one report per version.
      </p>
      {canGenerate && (
        <GenerateForm onEnqueued={(runId) => setArrived((previous) => newestRuns([runId, ...previous]))} />
      )}
      <ReportRuns ids={ids} runs={runs} />
      <section aria-labelledby="reports-title">
        <h2 id="reports-title">Reports</h2>
        <Listing query={reports} items={pageItems(reports.data)} noun="reports" empty="No reports yet.">
          {(items) => <ReportsTable reports={items} />}
        </Listing>
      </section>
    </>
  );
}
