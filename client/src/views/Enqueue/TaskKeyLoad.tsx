import { ErrorBanner, Placeholder } from "../../components/Notice";
import { trpc } from "../../trpc";

/*
 * Key load is counted from the runs table, not announced on the event feed, so the table is read
 * again every few seconds while it is on screen.
 */
const refreshMs = 5_000;
/** The busiest keys shown. */
const shownKeys = 10;

/** For a task limited per key: its busiest keys, what each has queued and running, and which are at the limit. */
export function TaskKeyLoad({ task, maxPerKey }: { task: string; maxPerKey: number }) {
  const load = trpc.stats.keys.useQuery({ task, limit: shownKeys }, { refetchInterval: refreshMs });
  return (
    <section className="key-load" aria-labelledby="key-load-title" data-testid="key-load">
      <h3 id="key-load-title">Busiest keys</h3>
      <p className="muted">At most {maxPerKey} running at once per key.</p>
      {load.isError && <ErrorBanner title="Could not load the keys." error={load.error} />}
      {load.data?.keys.length === 0 && <Placeholder>No runs waiting or running.</Placeholder>}
      {load.data && load.data.keys.length > 0 && (
        <div className="table-scroll">
          <table className="runs-table">
            <thead>
              <tr>
                <th scope="col">Key</th>
                <th scope="col">Queued</th>
                <th scope="col">Running</th>
                <th scope="col">At limit</th>
              </tr>
            </thead>
            <tbody>
              {load.data.keys.map((key) => (
                <tr key={key.key} data-testid="key-load-row" data-key={key.key}>
                  <th scope="row">
                    <code>{key.key}</code>
                  </th>
                  <td className="numeric">{key.queued}</td>
                  <td className="numeric">{key.running}</td>
                  <td>{key.isAtLimit ? <strong>yes</strong> : <span className="muted">no</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
