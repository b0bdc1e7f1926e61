import type { Executor } from "../db/client.js";
import { cancelDependents } from "./cancelDependents.js";
import { countFlowRuns, type FlowTally, tally } from "./countFlowRuns.js";

export interface FinishedRun {
  id: string;
  flowId: string | null;
  status: "succeeded" | "failed" | "cancelled";
}

/**
 * Moves flows on after some of their runs finished, in the caller's transaction: the runs that
 * depend on one that failed or was cancelled are cancelled (with `reason`), and every flow counts
 * its finished runs, those cancelled here included. Runs outside flows are ignored.
 */
export async function advanceFlows(db: Executor, finished: readonly FinishedRun[], reason: string): Promise<void> {
  const tallies = new Map<string, FlowTally>();
  for (const run of finished) tally(tallies, run.flowId, run.status);
  const dead = finished.filter((run) => run.flowId !== null && run.status !== "succeeded").map((run) => run.id);
  const dependents = await cancelDependents(db, dead, reason);
  for (const run of dependents) tally(tallies, run.flowId, "cancelled");
  await countFlowRuns(db, [...tallies.values()]);
}
