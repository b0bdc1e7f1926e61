import type { ReactNode } from "react";
import { Bar, BarChart, CartesianGrid, Legend, Tooltip, XAxis, YAxis } from "recharts";
import type { RouterOutputs } from "../../trpc";

export type Overview = RouterOutputs["stats"]["overview"];

/*
 * Colours come from the stylesheet's tokens (`--chart-*`), so the charts follow light and dark
 * like the rest of the UI. Animations are off: the charts redraw every few seconds while runs
 * finish, and bars sliding each time would only distract.
 */
const colours = {
  succeeded: "var(--chart-succeeded)",
  failed: "var(--chart-failed)",
  queued: "var(--chart-queued)",
  running: "var(--chart-running)",
  p50: "var(--chart-p50)",
  p95: "var(--chart-p95)",
  grid: "var(--border)",
  axis: "var(--text-muted)",
};

const axisProps = { stroke: colours.axis, tick: { fill: colours.axis, fontSize: 12 }, tickLine: false } as const;
const tooltipProps = {
  contentStyle: { background: "var(--surface)", border: "1px solid var(--border)", borderRadius: 6 },
  labelStyle: { color: "var(--text)" },
  cursor: { fill: "var(--surface-muted)" },
} as const;

const minuteFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });

/** Legend entries in the text colour; Recharts would colour them like their series. */
function legendText(value: string) {
  return <span className="chart-legend-text">{value}</span>;
}

/** "850 ms", "1.2 s", "3.5 min". */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

/** The name the runs view gives a run without a named queue. */
export const unnamedQueue = "parallel";

function ChartCard({
  id,
  title,
  summary,
  children,
}: {
  id: string;
  title: string;
  summary?: ReactNode;
  children: ReactNode;
}) {
  return (
    <figure className="card chart" data-testid={`chart-${id}`} aria-labelledby={`chart-${id}-title`}>
      <figcaption id={`chart-${id}-title`} className="chart-title">
        {title}
      </figcaption>
      {summary && <div className="chart-summary">{summary}</div>}
      {children}
    </figure>
  );
}

/** Runs finished per minute, succeeded and failed stacked. */
export function ThroughputChart({ overview }: { overview: Overview }) {
  const data = overview.throughput.map((row) => ({ ...row, label: minuteFormat.format(row.minute) }));
  const total = overview.throughput.reduce((sum, row) => sum + row.succeeded + row.failed, 0);
  return (
    <ChartCard
      id="throughput"
      title="Throughput: runs finished per minute"
      summary={
        <span className="muted" data-testid="throughput-total">
          {total} finished in the last {overview.windowMinutes} min
        </span>
      }
    >
      <BarChart responsive style={{ width: "100%", height: 240 }} data={data} margin={{ top: 8, right: 8, left: -16 }}>
        <CartesianGrid stroke={colours.grid} vertical={false} />
        <XAxis dataKey="label" {...axisProps} minTickGap={24} />
        <YAxis allowDecimals={false} {...axisProps} />
        <Tooltip {...tooltipProps} />
        <Legend formatter={legendText} />
        <Bar dataKey="succeeded" stackId="finished" fill={colours.succeeded} isAnimationActive={false} />
        <Bar dataKey="failed" stackId="finished" fill={colours.failed} isAnimationActive={false} />
      </BarChart>
    </ChartCard>
  );
}

/** Failed ÷ finished over the window, as one large number. */
export function FailureRate({ overview }: { overview: Overview }) {
  const succeeded = overview.throughput.reduce((sum, row) => sum + row.succeeded, 0);
  const failed = overview.throughput.reduce((sum, row) => sum + row.failed, 0);
  const isHigh = overview.failureRate >= 0.1;
  return (
    <ChartCard id="failure-rate" title="Failure rate">
      <p className={isHigh ? "big-number big-number-bad" : "big-number"} data-testid="failure-rate">
        {(overview.failureRate * 100).toFixed(1)} %
      </p>
      <p className="muted" data-testid="failure-counts">
        {failed} failed of {succeeded + failed} finished in the last {overview.windowMinutes} min
      </p>
    </ChartCard>
  );
}

/** Runs waiting and running now, per queue. */
export function QueueDepthChart({ overview }: { overview: Overview }) {
  const data = overview.queueDepth.map((row) => ({ ...row, name: row.queue ?? unnamedQueue }));
  return (
    <ChartCard id="queue-depth" title="Queue depth now">
      {data.length === 0 ? (
        <p className="muted chart-empty">Nothing is waiting or running.</p>
      ) : (
        <BarChart
          responsive
          layout="vertical"
          style={{ width: "100%", height: Math.max(120, 48 + data.length * 36) }}
          data={data}
          margin={{ top: 8, right: 8 }}
        >
          <CartesianGrid stroke={colours.grid} horizontal={false} />
          <XAxis type="number" allowDecimals={false} {...axisProps} />
          <YAxis type="category" dataKey="name" width={110} {...axisProps} />
          <Tooltip {...tooltipProps} />
          <Legend formatter={legendText} />
          <Bar dataKey="queued" stackId="depth" fill={colours.queued} isAnimationActive={false} />
          <Bar dataKey="running" stackId="depth" fill={colours.running} isAnimationActive={false} />
        </BarChart>
      )}
    </ChartCard>
  );
}

/** Median and 95th-percentile duration of each task's successful runs, with the numbers as a table. */
export function DurationsChart({ overview }: { overview: Overview }) {
  const { durations } = overview;
  return (
    <ChartCard id="durations" title="Duration per task (succeeded runs)">
      {durations.length === 0 ? (
        <p className="muted chart-empty">No run succeeded in this window.</p>
      ) : (
        <>
          <BarChart
            responsive
            style={{ width: "100%", height: 260 }}
            data={durations}
            margin={{ top: 8, right: 8, left: 8 }}
          >
            <CartesianGrid stroke={colours.grid} vertical={false} />
            <XAxis dataKey="task" {...axisProps} interval={0} />
            <YAxis {...axisProps} tickFormatter={(value: number) => formatDuration(value)} width={64} />
            <Tooltip {...tooltipProps} formatter={(value) => formatDuration(Number(value))} />
            <Legend formatter={legendText} />
            <Bar dataKey="p50Ms" name="p50" fill={colours.p50} isAnimationActive={false} />
            <Bar dataKey="p95Ms" name="p95" fill={colours.p95} isAnimationActive={false} />
          </BarChart>
          <table className="runs-table durations-table" data-testid="durations-table">
            <thead>
              <tr>
                <th scope="col">Task</th>
                <th scope="col">Runs</th>
                <th scope="col">p50</th>
                <th scope="col">p95</th>
              </tr>
            </thead>
            <tbody>
              {durations.map((row) => (
                <tr key={row.task} data-task={row.task}>
                  <td>{row.task}</td>
                  <td className="numeric">{row.count}</td>
                  <td className="numeric">{formatDuration(row.p50Ms)}</td>
                  <td className="numeric">{formatDuration(row.p95Ms)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </ChartCard>
  );
}
