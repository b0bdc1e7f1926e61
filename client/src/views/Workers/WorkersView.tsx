import { useEffect, useState } from "react";
import { Listing } from "../../components/Listing";
import { ErrorBanner } from "../../components/Notice";
import { formatRelative, Timestamp } from "../../components/Timestamp";
import { type RouterOutputs, trpc } from "../../trpc";

type Worker = RouterOutputs["workers"]["list"][number];

/*
 * Heartbeats are rows updated in place, not events, so nothing on the event feed says a worker
 * is alive or has gone quiet: this view polls, every few seconds, which is what a heartbeat's own
 * resolution allows anyway.
 */
const refreshMs = 5_000;
/** Several missed heartbeats (5 s apart by default): worth pointing out before the worker is declared dead. */
const lateHeartbeatMs = 30_000;
/** Running runs read to count each worker's; beyond this the counts say "at least". */
const runningRunsRead = 200;

/** Re-renders every `intervalMs`, so relative times ("12 seconds ago") keep moving. */
function useNow(intervalMs: number): Date {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const timer = setInterval(() => setNow(new Date()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

function WorkerStateBadge({ state }: { state: Worker["state"] }) {
  return (
    <span className={`badge worker-state-${state}`} data-testid="worker-state" data-state={state}>
      {state}
    </span>
  );
}

function Heartbeat({ worker, now }: { worker: Worker; now: Date }) {
  const age = now.getTime() - worker.lastHeartbeatAt.getTime();
  const isLate = worker.state === "running" && age > lateHeartbeatMs;
  const iso = worker.lastHeartbeatAt.toISOString();
  return (
    <time dateTime={iso} title={iso} className={isLate ? "heartbeat-late" : undefined}>
      {formatRelative(worker.lastHeartbeatAt, now)}
      {isLate && " · late"}
    </time>
  );
}

function TaskList({ tasks }: { tasks: string[] }) {
  if (tasks.length <= 3) return <span>{tasks.join(", ")}</span>;
  return (
    <details>
      <summary>{tasks.length} tasks</summary>
      <span>{tasks.join(", ")}</span>
    </details>
  );
}

/** Every worker process seen: where it runs, how busy it is, and whether it is still beating. */
export function WorkersView() {
  const workers = trpc.workers.list.useQuery(undefined, { refetchInterval: refreshMs });
  const running = trpc.runs.list.useQuery(
    { status: "running", limit: runningRunsRead },
    { refetchInterval: refreshMs },
  );
  const now = useNow(refreshMs);

  const runsByWorker = new Map<string, number>();
  for (const run of running.data?.items ?? [])
    if (run.workerId) runsByWorker.set(run.workerId, (runsByWorker.get(run.workerId) ?? 0) + 1);
  const isCountCapped = running.data?.nextCursor != null;

  return (
    <div className="workers">
      <h1>Workers</h1>
      {running.isError && <ErrorBanner title="Could not count the running runs." error={running.error} />}
      <Listing query={workers} items={workers.data ?? []} noun="workers" empty="No worker has started yet.">
        {(items) => (
          <div className="table-scroll">
            <table className="runs-table">
              <thead>
                <tr>
                  <th scope="col">Worker</th>
                  <th scope="col">State</th>
                  <th scope="col">Host</th>
                  <th scope="col">PID</th>
                  <th scope="col">Running</th>
                  <th scope="col">Last heartbeat</th>
                  <th scope="col">Started</th>
                  <th scope="col">Tasks</th>
                </tr>
              </thead>
              <tbody>
                {items.map((worker) => {
                  const count = runsByWorker.get(worker.id) ?? 0;
                  return (
                    <tr key={worker.id} data-testid="worker-row" data-worker-id={worker.id}>
                      <td>
                        <code className="run-id">{worker.id}</code>
                      </td>
                      <td>
                        <WorkerStateBadge state={worker.state} />
                      </td>
                      <td>{worker.host}</td>
                      <td className="numeric">{worker.pid}</td>
                      <td className="numeric" data-testid="worker-running">
                        {worker.state === "running" ? (
                          <>
                            {count}
                            {isCountCapped && count > 0 ? "+" : ""} / {worker.concurrency}
                          </>
                        ) : (
                          <span className="muted">— / {worker.concurrency}</span>
                        )}
                      </td>
                      <td>
                        {worker.state === "running" ? (
                          <Heartbeat worker={worker} now={now} />
                        ) : (
                          <span className="muted">last seen {formatRelative(worker.lastHeartbeatAt, now)}</span>
                        )}
                      </td>
                      <td>
                        <Timestamp date={worker.startedAt} />
                      </td>
                      <td>
                        <TaskList tasks={worker.tasks} />
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </Listing>
    </div>
  );
}
