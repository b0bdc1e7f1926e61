import type { FlowSpec, ScheduleTarget } from "@conveyor/shared";
import type { InputIssue } from "../errors.js";
import { type FlowPlan, planChain, planDag, planGroup } from "../flows/planFlow.js";
import { findTask, validateInput } from "../runs/prepareRun.js";
import type { TaskCatalog } from "../tasks/catalog.js";

/**
 * Checks what a target would enqueue against the catalog: every task exists and every input
 * known in advance passes its task's schema (inputs made from parents' outputs are checked by
 * the worker). Problems are added to `issues` under `path` (`["target"]` for a schedule's input).
 */
export function checkTarget(
  catalog: TaskCatalog,
  target: ScheduleTarget,
  path: (string | number)[],
  issues: InputIssue[],
): void {
  if (target.kind === "task") {
    const definition = findTask(catalog, target.task, [...path, "task"], issues);
    if (definition) validateInput(definition, target.input, [...path, "input"], issues);
  } else {
    const flowPath = [...path, "flow"];
    const plan = planFlow(target.flow, flowPath, issues);
    for (const node of plan.nodes) {
      const definition = findTask(catalog, node.task, [...flowPath, ...node.path, "task"], issues);
      if (definition && node.input && node.inputMode === "static") {
        validateInput(definition, node.input.value, [...flowPath, ...node.path, "input"], issues);
      }
    }
  }
}

/** The same plan `enqueueFlow` makes, so a schedule is checked exactly as its fires will be. */
function planFlow(spec: FlowSpec, path: (string | number)[], issues: InputIssue[]): FlowPlan {
  switch (spec.kind) {
    case "chain":
      return planChain(spec);
    case "group":
      return planGroup(spec);
    case "dag": {
      const structural: InputIssue[] = [];
      const plan = planDag(spec, structural);
      issues.push(...structural.map((issue) => ({ ...issue, path: [...path, ...issue.path] })));
      return plan;
    }
  }
}
