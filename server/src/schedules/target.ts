import type { ScheduleTarget } from "@conveyor/shared";
import type { InputIssue } from "../errors.js";
import { checkNode, planFlowSpec } from "../flows/planFlow.js";
import { findTask, validateInput } from "../runs/prepareRun.js";
import type { TaskCatalog } from "../tasks/catalog.js";

/**
 * Checks what a target would enqueue against the catalog, with the same plan and node checks
 * `enqueueFlow` uses, so a schedule is checked exactly as its fires will be: every task exists and
 * every input known in advance passes its task's schema (inputs made from parents' outputs are
 * checked by the worker). Problems are added to `issues` under `path` (`["target"]` for a
 * schedule's input).
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
    const structural: InputIssue[] = [];
    const plan = planFlowSpec(target.flow, structural);
    issues.push(...structural.map((issue) => ({ ...issue, path: [...flowPath, ...issue.path] })));
    for (const node of plan.nodes) checkNode(catalog, node, flowPath, issues);
  }
}
