/** What the `conveyor` command exits with. */
export const exitCodes = {
  /** The command did what was asked; a watched run succeeded. */
  ok: 0,
  /** A watched run failed or was cancelled. */
  runUnsuccessful: 1,
  /** The command line or the request was refused: bad JSON, unknown task, invalid input, no or bad token. */
  usage: 2,
  /** The server could not be reached or failed. */
  unavailable: 3,
  /** Interrupted (Ctrl-C) while watching; the run goes on. */
  interrupted: 130,
} as const;

/** A mistake in what the user typed, reported as one line and exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** How to get a token, for every message about a missing or refused one. */
export const tokenHint =
  "pass --token or set CONVEYOR_TOKEN; create one with `npm run token -- --role operator` (viewer is enough to read)";

/** Ctrl-C while following a run: only the watching stopped. */
export class InterruptedError extends Error {
  override name = "InterruptedError";
  constructor(readonly runId: string) {
    super(`stopped watching run ${runId}; it goes on (\`conveyor cancel ${runId}\` stops it)`);
  }
}
