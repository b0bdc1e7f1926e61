import type { ChainInput, GroupInput } from "./flows.js";
import type { EnqueueOptions } from "./runs.js";
import type { TaskDefinition, TaskInput, TaskOutput } from "./task.js";

/** True when a value of type `Value` is a valid input for task `D` (checked as the worker's zod parse would). */
type Accepts<D extends TaskDefinition, Value> = [Value] extends [TaskInput<D>] ? true : false;

/** Shown by the compiler where a step cannot take what the step before it produces. */
export interface StepInputMismatch<Produced, Expected> {
  error: "this task's input does not accept the previous output";
  produced: Produced;
  expected: Expected;
}

/**
 * A chain whose types follow its steps: `.pipe(task)` feeds the previous output to `task` (`.next(task, input)` gives it its own), and
 * does not compile unless `task`'s input accepts it. `.toInput()` is what `flows.chain` takes.
 */
export class Chain<Last extends TaskDefinition> {
  private constructor(private readonly steps: ChainInput["steps"]) {}

  static of<D extends TaskDefinition>(task: D, input: TaskInput<D>, options?: EnqueueOptions): Chain<D> {
    return new Chain<D>([{ task: task.name, input, ...(options ? { options } : {}) }]);
  }

  /** The next step receives this step's output as its input. */
  pipe<D extends TaskDefinition>(
    task: D,
    ...options: Accepts<D, TaskOutput<Last>> extends true
      ? [options?: EnqueueOptions]
      : [mismatch: StepInputMismatch<TaskOutput<Last>, TaskInput<D>>]
  ): Chain<D> {
    const [first] = options;
    const stepOptions = isEnqueueOptions(first) ? first : undefined;
    return new Chain<D>([...this.steps, { task: task.name, ...(stepOptions ? { options: stepOptions } : {}) }]);
  }

  /** The next step runs after this one, with an input of its own. */
  next<D extends TaskDefinition>(task: D, input: TaskInput<D>, options?: EnqueueOptions): Chain<D> {
    return new Chain<D>([...this.steps, { task: task.name, input, ...(options ? { options } : {}) }]);
  }

  toInput(): ChainInput {
    return { steps: [...this.steps] };
  }
}

function isEnqueueOptions(value: unknown): value is EnqueueOptions {
  return typeof value === "object" && value !== null && !("error" in value);
}

export const chain = Chain.of;

/** One member of a group: a task and its input, type-checked together. */
export interface Member<D extends TaskDefinition> {
  task: D;
  input: TaskInput<D>;
  options?: EnqueueOptions;
}

export function member<D extends TaskDefinition>(task: D, input: TaskInput<D>, options?: EnqueueOptions): Member<D> {
  return { task, input, ...(options ? { options } : {}) };
}

type MemberOutput<M> = M extends Member<infer D> ? TaskOutput<D> : never;

/** The callback's own input: everything but `results`, which the members provide. */
type StaticPart<C extends TaskDefinition> = Omit<TaskInput<C>, "results">;

/** The callback takes `results` of this type, together with its static part. */
type TakesResults<C extends TaskDefinition, Results> = "results" extends keyof TaskInput<C>
  ? Accepts<C, { results: Results } & StaticPart<C>>
  : false;

function memberInputs(members: readonly Member<TaskDefinition>[]): GroupInput["members"] {
  return members.map((item) => ({
    task: item.task.name,
    input: item.input,
    ...(item.options ? { options: item.options } : {}),
  }));
}

/** Members that run in parallel; what `flows.group` takes. */
export function group(members: readonly Member<TaskDefinition>[]): GroupInput {
  return { members: memberInputs(members) };
}

/**
 * A group plus a callback that receives `{ results }`, the members' outputs in member order; does
 * not compile unless the callback's input accepts them.
 */
export function chord<M extends Member<TaskDefinition>[], C extends TaskDefinition>(
  members: [...M],
  callback: C,
  ...input: TakesResults<C, MemberOutput<M[number]>[]> extends true
    ? // biome-ignore lint/complexity/noBannedTypes: `{}` is exactly "an object with nothing required"
      {} extends StaticPart<C>
      ? [input?: StaticPart<C>]
      : [input: StaticPart<C>]
    : [mismatch: StepInputMismatch<{ results: MemberOutput<M[number]>[] }, TaskInput<C>>]
): GroupInput {
  const [staticInput] = input;
  const callbackInput =
    typeof staticInput === "object" && staticInput !== null && !("error" in staticInput)
      ? (staticInput as Record<string, unknown>)
      : undefined;
  return {
    members: memberInputs(members),
    callback: { task: callback.name, ...(callbackInput ? { input: callbackInput } : {}) },
  };
}
