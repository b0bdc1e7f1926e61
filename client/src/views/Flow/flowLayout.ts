import dagre from "@dagrejs/dagre";

/*
 * Where each run of a flow sits in its graph, left to right: a run is always right of the runs it
 * waits for. Small graphs go to dagre, which orders each rank to keep edges from crossing. Large
 * ones (a long chain, a group of hundreds) are laid out here instead: dagre stacks a rank of 500
 * members into one column 22,000 px tall (and takes ~300 ms doing it), and its recursion
 * overflows the stack on a chain of 2,000; a legible picture of those needs wrapping anyway.
 */

export interface FlowEdge {
  /** Must succeed before `to` runs. */
  from: string;
  to: string;
}

/** A node's top-left corner, in graph coordinates. */
export interface Point {
  x: number;
  y: number;
}

/** Every node is drawn this size, so the layout needs no measuring. */
export const flowNodeSize = { width: 168, height: 46 } as const;

const gaps = {
  /** Between ranks (columns of dependencies). */
  rank: 64,
  /** Between nodes of one rank. */
  node: 10,
  /** Between the sub-columns a tall rank is folded into. */
  column: 14,
  /** Between the bands a wide graph is wrapped into. */
  band: 64,
};

/** Graphs within all of these are dagre's; beyond any of them, the wrapped layout's. */
const dagreLimits = { nodes: 200, rankSize: 16, ranks: 14 };

/** A rank of more runs than this is folded into several columns. */
const foldFromRunsPerRank = 16;
/** The shape a large graph is wrapped towards: a little wider than tall, like a screen. */
const targetAspect = 1.6;
/** A graph narrower than this stays on one band however tall it is. */
const singleBandWidth = 2_400;

/**
 * Each node's rank: 0 for a node that waits for nothing, else one more than its latest
 * dependency. Nodes caught in a cycle (the API refuses those) are put after the rest.
 */
export function rankNodes(ids: readonly string[], edges: readonly FlowEdge[]): Map<string, number> {
  const known = new Set(ids);
  const children = new Map<string, string[]>();
  const pending = new Map<string, number>(ids.map((id) => [id, 0]));
  for (const { from, to } of edges) {
    if (!known.has(from) || !known.has(to)) continue;
    const list = children.get(from);
    if (list) list.push(to);
    else children.set(from, [to]);
    pending.set(to, (pending.get(to) ?? 0) + 1);
  }
  const rank = new Map<string, number>();
  const ready = ids.filter((id) => pending.get(id) === 0);
  for (const id of ready) rank.set(id, 0);
  // Kahn's algorithm: a node is ranked once every dependency has been.
  for (let index = 0; index < ready.length; index += 1) {
    const id = ready[index] as string;
    const next = (rank.get(id) ?? 0) + 1;
    for (const child of children.get(id) ?? []) {
      rank.set(child, Math.max(rank.get(child) ?? 0, next));
      const left = (pending.get(child) ?? 0) - 1;
      pending.set(child, left);
      if (left === 0) ready.push(child);
    }
  }
  const last = Math.max(-1, ...rank.values()) + 1;
  for (const id of ids) if (pending.get(id) !== 0) rank.set(id, last);
  return rank;
}

/** The nodes of each rank, the first in the given order, later ones near their dependencies. */
function orderRanks(ids: readonly string[], edges: readonly FlowEdge[], rank: Map<string, number>): string[][] {
  const ranks: string[][] = [];
  for (const id of ids) {
    const r = rank.get(id) ?? 0;
    const nodes = ranks[r];
    if (nodes) nodes.push(id);
    else ranks[r] = [id];
  }
  const parents = new Map<string, string[]>();
  for (const { from, to } of edges) {
    const list = parents.get(to);
    if (list) list.push(from);
    else parents.set(to, [from]);
  }
  const position = new Map<string, number>();
  return ranks.map((nodes = []) => {
    // Barycentre: the mean place of a node's dependencies in their ranks; the given order breaks ties.
    const keyed = nodes.map((id, index) => {
      const places = (parents.get(id) ?? []).flatMap((parent) => position.get(parent) ?? []);
      const centre = places.length > 0 ? places.reduce((sum, place) => sum + place, 0) / places.length : index;
      return { id, centre, index };
    });
    keyed.sort((a, b) => a.centre - b.centre || a.index - b.index);
    for (const [index, { id }] of keyed.entries()) position.set(id, index);
    return keyed.map(({ id }) => id);
  });
}

function layoutWithDagre(ids: readonly string[], edges: readonly FlowEdge[]): Map<string, Point> {
  const graph = new dagre.graphlib.Graph();
  graph.setGraph({ rankdir: "LR", nodesep: gaps.node, ranksep: gaps.rank, marginx: 0, marginy: 0 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const id of ids) graph.setNode(id, { width: flowNodeSize.width, height: flowNodeSize.height });
  for (const { from, to } of edges) if (graph.hasNode(from) && graph.hasNode(to)) graph.setEdge(from, to);
  dagre.layout(graph);
  const positions = new Map<string, Point>();
  for (const id of ids) {
    const { x = 0, y = 0 } = graph.node(id) ?? {};
    // dagre gives centres; React Flow places nodes by their top-left corner.
    positions.set(id, { x: x - flowNodeSize.width / 2, y: y - flowNodeSize.height / 2 });
  }
  return positions;
}

interface RankBlock {
  nodes: string[];
  rows: number;
  columns: number;
  width: number;
  height: number;
}

function blockOf(nodes: string[]): RankBlock {
  // Folded into the number of rows that gives the block about the target aspect.
  const cell = { width: flowNodeSize.width + gaps.column, height: flowNodeSize.height + gaps.node };
  const rows =
    nodes.length <= foldFromRunsPerRank
      ? nodes.length
      : Math.ceil(Math.sqrt((nodes.length * cell.width) / (cell.height * targetAspect)));
  const columns = Math.ceil(nodes.length / rows);
  return {
    nodes,
    rows,
    columns,
    width: columns * flowNodeSize.width + (columns - 1) * gaps.column,
    height: rows * flowNodeSize.height + (rows - 1) * gaps.node,
  };
}

/** Splits the ranks into bands of about `width`, each holding at least one rank. */
function wrapIntoBands(blocks: RankBlock[], width: number): RankBlock[][] {
  const bands: RankBlock[][] = [];
  let band: RankBlock[] = [];
  let used = 0;
  for (const block of blocks) {
    const added = (band.length > 0 ? gaps.rank : 0) + block.width;
    if (band.length > 0 && used + added > width) {
      bands.push(band);
      band = [];
      used = 0;
    }
    used += band.length > 0 ? gaps.rank + block.width : block.width;
    band.push(block);
  }
  if (band.length > 0) bands.push(band);
  return bands;
}

/**
 * Ranks as columns left to right; a rank of many runs folded into several columns (read down,
 * then across); a graph too wide for the screen wrapped into bands, top to bottom, like text.
 */
function layoutWrapped(ids: readonly string[], edges: readonly FlowEdge[], rank: Map<string, number>) {
  const blocks = orderRanks(ids, edges, rank).map(blockOf);
  const totalWidth = blocks.reduce((sum, block) => sum + block.width, 0) + gaps.rank * (blocks.length - 1);
  const tallest = Math.max(...blocks.map((block) => block.height));
  const bandCount =
    totalWidth <= singleBandWidth
      ? 1
      : Math.max(1, Math.round(Math.sqrt(totalWidth / (targetAspect * (tallest + gaps.band)))));
  const bands = wrapIntoBands(blocks, Math.max(singleBandWidth, totalWidth / bandCount));

  const positions = new Map<string, Point>();
  let top = 0;
  for (const band of bands) {
    const height = Math.max(...band.map((block) => block.height));
    let left = 0;
    for (const block of band) {
      // Each rank is centred on the band's middle, so edges between ranks stay short.
      const blockTop = top + (height - block.height) / 2;
      block.nodes.forEach((id, index) => {
        const column = Math.floor(index / block.rows);
        const row = index % block.rows;
        positions.set(id, {
          x: left + column * (flowNodeSize.width + gaps.column),
          y: blockTop + row * (flowNodeSize.height + gaps.node),
        });
      });
      left += block.width + gaps.rank;
    }
    top += height + gaps.band;
  }
  return positions;
}

/** Places every node of a flow; `ids` in creation order (a group's members in member order). */
export function layoutFlow(ids: readonly string[], edges: readonly FlowEdge[]): Map<string, Point> {
  if (ids.length === 0) return new Map();
  const rank = rankNodes(ids, edges);
  const sizes = new Map<number, number>();
  for (const r of rank.values()) sizes.set(r, (sizes.get(r) ?? 0) + 1);
  const isDagreSized =
    ids.length <= dagreLimits.nodes &&
    sizes.size <= dagreLimits.ranks &&
    Math.max(...sizes.values()) <= dagreLimits.rankSize;
  return isDagreSized ? layoutWithDagre(ids, edges) : layoutWrapped(ids, edges, rank);
}
