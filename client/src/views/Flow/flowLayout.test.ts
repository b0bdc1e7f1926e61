import { describe, expect, it } from "vitest";
import { type FlowEdge, flowNodeSize, layoutFlow, type Point, rankNodes } from "./flowLayout";

const ids = (count: number, prefix = "n") => Array.from({ length: count }, (_, index) => `${prefix}${index}`);

function overlaps(a: Point, b: Point): boolean {
  return Math.abs(a.x - b.x) < flowNodeSize.width && Math.abs(a.y - b.y) < flowNodeSize.height;
}

function expectNoOverlap(positions: Map<string, Point>): void {
  const points = [...positions.values()].sort((a, b) => a.x - b.x || a.y - b.y);
  for (let i = 0; i < points.length; i += 1) {
    for (let j = i + 1; j < points.length; j += 1) {
      const [a, b] = [points[i] as Point, points[j] as Point];
      if (b.x - a.x >= flowNodeSize.width) break;
      expect(overlaps(a, b), `${JSON.stringify(a)} overlaps ${JSON.stringify(b)}`).toBe(false);
    }
  }
}

function extent(positions: Map<string, Point>) {
  const points = [...positions.values()];
  return {
    width: Math.max(...points.map((p) => p.x)) - Math.min(...points.map((p) => p.x)) + flowNodeSize.width,
    height: Math.max(...points.map((p) => p.y)) - Math.min(...points.map((p) => p.y)) + flowNodeSize.height,
  };
}

const chord = (members: number): { nodes: string[]; edges: FlowEdge[] } => {
  const nodes = [...ids(members, "m"), "callback"];
  return { nodes, edges: ids(members, "m").map((from) => ({ from, to: "callback" })) };
};

describe("rankNodes", () => {
  it("ranks a node one after its latest dependency", () => {
    const rank = rankNodes(
      ["a", "b", "c", "d"],
      [
        { from: "a", to: "b" },
        { from: "b", to: "d" },
        { from: "a", to: "c" },
        { from: "c", to: "d" },
        { from: "a", to: "d" },
      ],
    );
    expect(Object.fromEntries(rank)).toEqual({ a: 0, b: 1, c: 1, d: 2 });
  });
});

describe("layoutFlow", () => {
  it("places a small chain left to right with dagre", () => {
    const positions = layoutFlow(
      ["a", "b", "c"],
      [
        { from: "a", to: "b" },
        { from: "b", to: "c" },
      ],
    );
    const [a, b, c] = ["a", "b", "c"].map((id) => positions.get(id) as Point);
    expect(a?.x).toBeLessThan(b?.x ?? 0);
    expect(b?.x).toBeLessThan(c?.x ?? 0);
    expect(a?.y).toBe(c?.y);
  });

  it("folds a 500-member chord into columns of about screen shape, the callback to the right", () => {
    const { nodes, edges } = chord(500);
    const positions = layoutFlow(nodes, edges);
    expect(positions.size).toBe(501);
    expectNoOverlap(positions);
    const callback = positions.get("callback") as Point;
    for (const id of ids(500, "m")) expect((positions.get(id) as Point).x).toBeLessThan(callback.x);
    const { width, height } = extent(positions);
    expect(width / height).toBeGreaterThan(1);
    expect(width / height).toBeLessThan(3);
  });

  it("wraps a long chain into bands instead of one row 100,000 px wide", () => {
    const nodes = ids(500);
    const edges = nodes.slice(1).map((to, index) => ({ from: nodes[index] as string, to }));
    const positions = layoutFlow(nodes, edges);
    expectNoOverlap(positions);
    const { width, height } = extent(positions);
    expect(width / height).toBeGreaterThan(0.8);
    expect(width / height).toBeLessThan(3);
    // Within a band, each step is right of the one before.
    expect((positions.get("n1") as Point).x).toBeGreaterThan((positions.get("n0") as Point).x);
  });

  it("lays out 10,000 runs (the flow limit) without blowing the stack", () => {
    const nodes = ids(10_000);
    const edges = nodes.slice(1).map((to, index) => ({ from: nodes[index] as string, to }));
    expect(layoutFlow(nodes, edges).size).toBe(10_000);
  });
});
