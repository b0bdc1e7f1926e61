import { isTerminal } from "@conveyor/shared";
import { useState } from "react";
import { Link } from "wouter";
import { Detail } from "../../components/Detail";
import { JsonBlock } from "../../components/JsonBlock";
import { ErrorBanner, Placeholder } from "../../components/Notice";
import { formatProgress, ProgressBar } from "../../components/ProgressBar";
import { StatusBadge } from "../../components/StatusBadge";
import { Timestamp } from "../../components/Timestamp";
import { isMissing, type RouterOutputs, trpc } from "../../trpc";
import { RerunForm } from "./RerunForm";
import { RunActions } from "./RunActions";
import { RunSteps, RunWaitingReason } from "./RunSteps";
import { RunTimeline } from "./RunTimeline";
import { useRunEvents } from "./useRunEvents";
import "./run.css";

type Run = RouterOutputs["runs"]["get"];

function RunProgress({ run }: { run: Run }) {
  return (
    <section className="card" aria-labelledby="progress-title">
      <h2 id="progress-title">Progress</h2>
      {run.progress ? (
        <ProgressBar progress={run.progress} label={`Progress of ${run.task}`} testId="run-progress" />
      ) : null}
      <p className="progress-text" data-testid="run-progress-text">
        {run.progress
          ? formatProgress(run.progress)
          : isTerminal(run.status)
            ? "No progress reported."
            : "No progress reported yet."}
      </p>
    </section>
  );
}

function RunErrorDetails({ error }: { error: NonNullable<Run["error"]> }) {
  return (
    <section className="card card-error" aria-labelledby="error-title" data-testid="run-error">
      <h2 id="error-title">Error</h2>
      <p>
        <strong className="error-name">{error.name}</strong>: <span className="error-message">{error.message}</span>
      </p>
      <p className="muted">
        Raised by attempt {error.attempt}; {error.isRetryable ? "retryable" : "not retryable"}.
      </p>
      {error.stack && (
        <details>
          <summary>Stack trace</summary>
          <pre className="json">{error.stack}</pre>
        </details>
      )}
    </section>
  );
}

function RunDetails({ run }: { run: Run }) {
  return (
    <>
      <section className="card">
        <dl className="details">
          <Detail term="Task">
            <Link href={`/runs?task=${encodeURIComponent(run.task)}`} data-testid="run-task">
              {run.task}
            </Link>
          </Detail>
          <Detail term="Status">
            <StatusBadge status={run.status} testId="run-status" />
          </Detail>
          <Detail term="Attempts">
            <span data-testid="run-attempts">
              {run.attempts} / {run.maxAttempts}
            </span>
          </Detail>
          {run.status === "retrying" && (
            <Detail term="Next attempt">
              <span data-testid="run-next-attempt">
                <Timestamp date={run.nextAttemptAt} isRelative />
              </span>
            </Detail>
          )}
          {run.status === "waiting" && (
            <Detail term="Waiting">
              <RunWaitingReason run={run} />
            </Detail>
          )}
          {run.status === "scheduled" && (
            <Detail term="Runs at">
              <Timestamp date={run.runAt} isRelative />
            </Detail>
          )}
          <Detail term="Queue">{run.queue ?? <span className="muted">parallel</span>}</Detail>
          <Detail term="Priority">{run.priority}</Detail>
          <Detail term="Created">
            <Timestamp date={run.createdAt} />
          </Detail>
          <Detail term="Started">
            <Timestamp date={run.startedAt} />
          </Detail>
          <Detail term="Finished">
            <Timestamp date={run.finishedAt} />
          </Detail>
          <Detail term="Worker">{run.workerId ?? <span className="muted">—</span>}</Detail>
          {run.flowId && (
            <Detail term="Flow">
              <Link href={`/flows/${run.flowId}`} data-testid="run-flow">
                {run.flowNode ?? "flow"}
              </Link>{" "}
              <span className="muted">of flow {run.flowId.slice(0, 8)}…</span>
            </Detail>
          )}
          {run.rerunOf && (
            <Detail term="Re-run of">
              <Link href={`/runs/${run.rerunOf}`} className="run-id" data-testid="run-rerun-of">
                {run.rerunOf}
              </Link>
            </Detail>
          )}
          {run.idempotencyKey && (
            <Detail term="Idempotency key">
              <code data-testid="run-idempotency-key">{run.idempotencyKey}</code>
            </Detail>
          )}
        </dl>
      </section>
      <RunProgress run={run} />
      {run.error && <RunErrorDetails error={run.error} />}
      <RunSteps run={run} />
      <div className="io">
        <section className="card" aria-labelledby="input-title">
          <h2 id="input-title">Input</h2>
          <JsonBlock value={run.input} testId="run-input" />
        </section>
        <section className="card" aria-labelledby="output-title">
          <h2 id="output-title">Output</h2>
          {run.status === "succeeded" ? (
            <JsonBlock value={run.output} testId="run-output" />
          ) : (
            <p className="muted">{isTerminal(run.status) ? "No output." : "Not finished yet."}</p>
          )}
        </section>
      </div>
    </>
  );
}

/** One run, kept current by its event stream rather than by polling. */
export function RunView({ id }: { id: string }) {
  const run = trpc.runs.get.useQuery({ id });
  const { timeline, restart } = useRunEvents(id, run.data?.status);
  const [isRerunOpen, setIsRerunOpen] = useState(false);
  return (
    <div className="run">
      <div className="run-heading">
        <h1>
          Run <code className="run-title-id">{id}</code>
        </h1>
        {run.data && (
          <RunActions
            run={run.data}
            isRerunOpen={isRerunOpen}
            onRerunToggle={() => setIsRerunOpen((isOpen) => !isOpen)}
            onRetried={restart}
          />
        )}
      </div>
      {run.isPending && <Placeholder>Loading run…</Placeholder>}
      {isMissing(run.error) && <Placeholder>There is no run with this id.</Placeholder>}
      {run.isError && !isMissing(run.error) && <ErrorBanner title="Could not load the run." error={run.error} />}
      {run.data && isRerunOpen && <RerunForm run={run.data} onClose={() => setIsRerunOpen(false)} />}
      {run.data && (
        <>
          <RunDetails run={run.data} />
          <RunTimeline timeline={timeline} />
        </>
      )}
    </div>
  );
}
