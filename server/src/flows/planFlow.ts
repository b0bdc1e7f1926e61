import type {
  ChainInput,
  DagInput,
  EnqueueOptions,
  FlowSpec,
  flowKinds,
  GroupInput,
  TaskDefinition,
} from "@conveyor/shared";
import type { schema } from "../db/client.js";
import type { InputIssue } from "../errors.js";
import { findTask, validateInput } from "../runs/prepareRun.js";
import type { TaskCatalog } from "../tasks/catalog.js";

/** One run of a flow before validation: where it sits, what feeds it, where its fields came from. */
export interface PlannedNode {
  name: string;
  task: string;
  /** Present when the node's input is given; absent when its parents' outputs make it. */
  input: { value: unknown } | null;
  inputMode: schema.RunInputMode;
  options: EnqueueOptions;
  parents: { name: string; position: number }[];
  /** Path of the node in the caller's input, for error messages. */
  path: (string | number)[];
}

export interface FlowPlan {
  kind: (typeof flowKinds)[number];
  nodes: PlannedNode[];
}

export function planChain(input: ChainInput): FlowPlan {
  return {
    kind: "chain",
    nodes: input.steps.map((step, index) => ({
      name: `step-${index + 1}`,
      task: step.task,
      input: step.input === undefined ? null : { value: step.input },
      inputMode: step.input === undefined ? "previous" : "static",
      options: step.options ?? {},
      parents: index === 0 ? [] : [{ name: `step-${index}`, position: 0 }],
      path: ["steps", index],
    })),
  };
}

export function planGroup(input: GroupInput): FlowPlan {
  const members: PlannedNode[] = input.members.map((member, index) => ({
    name: `member-${index + 1}`,
    task: member.task,
    input: { value: member.input },
    inputMode: "static",
    options: member.options ?? {},
    parents: [],
    path: ["members", index],
  }));
  if (!input.callback) return { kind: "group", nodes: members };
  const callback: PlannedNode = {
    name: "callback",
    task: input.callback.task,
    // The static part; `results` is merged in when the members are done.
    input: { value: input.callback.input ?? {} },
    inputMode: "results",
    options: input.callback.options ?? {},
    parents: members.map((member, position) => ({ name: member.name, position })),
    path: ["callback"],
  };
  return { kind: "chord", nodes: [...members, callback] };
}

/** Duplicate names, unknown dependencies and cycles are reported with the path and the names involved. */
export function planDag(input: DagInput, issues: InputIssue[]): FlowPlan {
  const indexByName = new Map<string, number>();
  input.nodes.forEach((node, index) => {
    const first = indexByName.get(node.name);
    if (first === undefined) indexByName.set(node.name, index);
    else
      issues.push({
        path: ["nodes", index, "name"],
        message: `duplicate node name "${node.name}" (also node ${first})`,
      });
  });
  input.nodes.forEach((node, index) => {
    (node.dependsOn ?? []).forEach((parent, position) => {
      if (!indexByName.has(parent)) {
        issues.push({ path: ["nodes", index, "dependsOn", position], message: `unknown node "${parent}"` });
      } else if (parent === node.name) {
        issues.push({ path: ["nodes", index, "dependsOn", position], message: `node "${parent}" depends on itself` });
      }
    });
  });
  if (issues.length === 0) {
    const cycle = findCycle(input);
    if (cycle) issues.push({ path: ["nodes"], message: `dependency cycle: ${cycle.join(" → ")}` });
  }
  return {
    kind: "dag",
    nodes: input.nodes.map((node, index) => ({
      name: node.name,
      task: node.task,
      input: node.input === undefined ? null : { value: node.input },
      inputMode: node.input === undefined && (node.dependsOn?.length ?? 0) > 0 ? "parents" : "static",
      options: node.options ?? {},
      parents: [...new Set(node.dependsOn ?? [])].map((name, position) => ({ name, position })),
      path: ["nodes", index],
    })),
  };
}

/**
 * The plan of a chain, group/chord or DAG as a schedule stores it. A DAG's structural problems are
 * added to `issues` with paths inside `spec`; callers that nest the spec prefix them.
 */
export function planFlowSpec(spec: FlowSpec, issues: InputIssue[]): FlowPlan {
  switch (spec.kind) {
    case "chain":
      return planChain(spec);
    case "group":
      return planGroup(spec);
    case "dag":
      return planDag(spec, issues);
  }
}

/**
 * Checks one node against the catalog: its task exists and a static input passes the task's
 * schema (inputs made from parents' outputs are checked by the worker when the run starts).
 * Issues are added under `prefix`. Returns the definition and the input to store, or null.
 */
export function checkNode(
  catalog: TaskCatalog,
  node: PlannedNode,
  prefix: (string | number)[],
  issues: InputIssue[],
): { definition: TaskDefinition; input: unknown } | null {
  const definition = findTask(catalog, node.task, [...prefix, ...node.path, "task"], issues);
  if (!definition) return null;
  if (!node.input || node.inputMode !== "static") {
    if (definition.keyConcurrency) {
      issues.push({
        path: [...prefix, ...node.path, "task"],
        message: `task "${definition.name}" is limited per key, so its input must be given, not built from other runs`,
      });
      return null;
    }
    return { definition, input: node.input?.value ?? null };
  }
  const checked = validateInput(definition, node.input.value, [...prefix, ...node.path, "input"], issues);
  return checked.ok ? { definition, input: checked.value } : null;
}

/** A cycle as a list of names (first repeated at the end), or null; iterative, so 10,000 nodes cannot overflow the stack. */
function findCycle(input: DagInput): string[] | null {
  const parents = new Map(input.nodes.map((node) => [node.name, node.dependsOn ?? []]));
  const state = new Map<string, "visiting" | "done">();
  for (const start of parents.keys()) {
    if (state.has(start)) continue;
    const stack: { name: string; next: number }[] = [{ name: start, next: 0 }];
    state.set(start, "visiting");
    while (stack.length > 0) {
      const frame = stack[stack.length - 1];
      if (!frame) break;
      const edges = parents.get(frame.name) ?? [];
      if (frame.next >= edges.length) {
        state.set(frame.name, "done");
        stack.pop();
        continue;
      }
      const parent = edges[frame.next] ?? "";
      frame.next += 1;
      if (state.get(parent) === "visiting") {
        const from = stack.findIndex((entry) => entry.name === parent);
        return [...stack.slice(from).map((entry) => entry.name), parent];
      }
      if (!state.has(parent)) {
        state.set(parent, "visiting");
        stack.push({ name: parent, next: 0 });
      }
    }
  }
  return null;
}
