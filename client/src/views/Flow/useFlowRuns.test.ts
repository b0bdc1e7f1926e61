import { describe, expect, it } from "vitest";
import { flowStatusOf } from "./useFlowRuns";

const progress = (succeeded: number, failed: number, cancelled: number, total: number) => ({
  finished: succeeded + failed + cancelled,
  total,
  succeeded,
  failed,
  cancelled,
});

describe("flowStatusOf", () => {
  it("follows the server's rule: failed at the first failure, succeeded when all did", () => {
    expect(flowStatusOf("running", progress(1, 0, 0, 3))).toBe("running");
    expect(flowStatusOf("running", progress(1, 1, 0, 3))).toBe("failed");
    expect(flowStatusOf("running", progress(3, 0, 0, 3))).toBe("succeeded");
    expect(flowStatusOf("running", progress(2, 0, 1, 3))).toBe("cancelled");
  });

  it("keeps a flow the server has cancelled or failed so", () => {
    expect(flowStatusOf("cancelled", progress(1, 0, 0, 3))).toBe("cancelled");
    expect(flowStatusOf("failed", progress(3, 0, 0, 3))).toBe("failed");
  });
});
