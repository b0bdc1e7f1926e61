import { describe, expect, it } from "vitest";
import { chain, chord, group, member } from "./flowBuilder.js";
import { chainInputSchema, groupInputSchema } from "./flows.js";
import { noop, reportGenerate, sleep } from "./tasks/index.js";

describe("flow builder output", () => {
  it("builds the input flows.chain takes: piped steps carry no input", () => {
    const input = chain(reportGenerate, { userId: 1 }).pipe(noop).next(sleep, { ms: 5 }, { priority: 1 }).toInput();
    expect(input).toEqual({
      steps: [
        { task: "report.generate", input: { userId: 1 } },
        { task: "conveyor.noop" },
        { task: "conveyor.sleep", input: { ms: 5 }, options: { priority: 1 } },
      ],
    });
    expect(chainInputSchema.safeParse(input).success).toBe(true);
  });

  it("builds groups and chords", () => {
    const members = [member(sleep, { ms: 1 }), member(sleep, { ms: 2 })];
    expect(group(members)).toEqual({
      members: [
        { task: "conveyor.sleep", input: { ms: 1 } },
        { task: "conveyor.sleep", input: { ms: 2 } },
      ],
    });
    const withCallback = chord(members, noop, { label: "sum" });
    expect(withCallback.callback).toEqual({ task: "conveyor.noop", input: { label: "sum" } });
    expect(groupInputSchema.safeParse(withCallback).success).toBe(true);
  });
});
