import { isTerminal, type RunStep, type StepStatus } from "@conveyor/shared";
import { JsonBlock } from "../../components/JsonBlock";
import { ErrorBanner } from "../../components/Notice";
import { useCan } from "../../components/RequireRole";
import { Timestamp } from "../../components/Timestamp";
import { type RouterOutputs, trpc } from "../../trpc";
import { WaitpointForm } from "./WaitpointForm";

type Run = RouterOutputs["runs"]["get"];

/** A step's status in the colours of the run status it resembles. */
const stepBadges: Record<StepStatus, string> = {
  completed: "badge-succeeded",
  waiting: "badge-waiting",
  timed_out: "badge-failed",
};

/** The run's durable steps; the run view refreshes them when its events say the run moved. */
export function useRunSteps(id: string) {
  return trpc.runs.steps.useQuery({ id });
}

function formatDuration(ms: number): string {
  if (ms < 1_000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(2)} s`;
  if (ms < 3_600_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

/**
 * Why a `waiting` run waits and until when: the sleep or the wait for an event it is suspended in
 * (with its wake-up or deadline), or, with neither, the runs of its flow it depends on.
 */
export function RunWaitingReason({ run }: { run: Run }) {
  const steps = useRunSteps(run.id);
  if (!steps.data) return <span className="muted">…</span>;
  const step = steps.data.find((candidate) => candidate.status === "waiting" && candidate.kind !== "step");
  const until = step?.waitUntil ?? run.nextAttemptAt;
  return (
    <span data-testid="run-waiting-reason">
      {step?.kind === "sleep" && <>Sleeping at step “{step.name}” until </>}
      {step?.kind === "wait" && (
        <>
          Waiting for event <code>{step.eventName}</code> at step “{step.name}” until{" "}
        </>
      )}
      {!step && (until ? <>Waiting until </> : "Waiting for the runs it depends on")}
      {until && <Timestamp date={until} isRelative />}
    </span>
  );
}

function StepRow({ step }: { step: RunStep }) {
  // A step's row is written once its function returned, its start by the database's clock and its
  // end by the worker's: a stored step reads as about no time, and may come out a little negative.
  const duration = step.finishedAt
    ? formatDuration(Math.max(0, step.finishedAt.getTime() - step.startedAt.getTime()))
    : null;
  return (
    <tr data-testid="run-step" data-step={step.name} data-status={step.status}>
      <th scope="row">
        <code className="step-name">{step.name}</code>
      </th>
      <td>{step.kind}</td>
      <td>
        <span className={`badge ${stepBadges[step.status]}`} data-testid="run-step-status">
          {step.status}
        </span>
        {step.status === "waiting" && step.waitUntil && (
          <div className="muted step-until">
            {step.kind === "sleep" ? "wakes " : "deadline "}
            <Timestamp date={step.waitUntil} isRelative />
          </div>
        )}
      </td>
      <td className="numeric">#{step.attempt}</td>
      <td className="numeric">
        {duration ?? (
          <span className="muted">
            since <Timestamp date={step.startedAt} />
          </span>
        )}
      </td>
      <td className="step-output">
        {step.status === "completed" ? (
          <JsonBlock value={step.output} testId="run-step-output" />
        ) : (
          <span className="muted">—</span>
        )}
      </td>
    </tr>
  );
}

/**
 * The run's steps (stored results, sleeps, waits for events) in the order they began; an operator
 * may complete a waiting wait for an event by hand, with a payload of that event's schema.
 */
export function RunSteps({ run }: { run: Run }) {
  const steps = useRunSteps(run.id);
  const canComplete = useCan("operator");
  // Most tasks record no steps: no card for them.
  if (steps.data?.length === 0) return null;
  const openWaits = (steps.data ?? []).filter((step) => step.kind === "wait" && step.status === "waiting");
  return (
    <section className="card" aria-labelledby="steps-title" data-testid="run-steps">
      <h2 id="steps-title">Steps</h2>
      {steps.isError && <ErrorBanner title="Could not load the steps." error={steps.error} />}
      {steps.data && (
        <div className="table-scroll">
          <table className="runs-table steps-table">
            <thead>
              <tr>
                <th scope="col">Step</th>
                <th scope="col">Kind</th>
                <th scope="col">Status</th>
                <th scope="col">Attempt</th>
                <th scope="col">Duration</th>
                <th scope="col">Output</th>
              </tr>
            </thead>
            <tbody>
              {steps.data.map((step) => (
                <StepRow key={step.name} step={step} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {canComplete &&
        !isTerminal(run.status) &&
        openWaits.map((step) => <WaitpointForm key={step.name} runId={run.id} step={step} />)}
    </section>
  );
}
