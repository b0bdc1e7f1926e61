import type { RunStatus } from "@conveyor/shared";
import {
  Background,
  BackgroundVariant,
  Controls,
  type Edge,
  getViewportForBounds,
  Handle,
  MiniMap,
  type Node,
  type NodeProps,
  Position,
  ReactFlow,
  type Viewport,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import {
  type KeyboardEvent,
  type MouseEvent,
  memo,
  type RefObject,
  useCallback,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
} from "react";
import { Link, useLocation } from "wouter";

/** One run of the flow, drawn as a node. (A type, not an interface: node data must be a plain record.) */
export type FlowGraphRun = {
  id: string;
  /** The node's name within its flow. */
  name: string;
  task: string;
  status: RunStatus;
};

export interface FlowGraphEdge {
  from: string;
  to: string;
}

type RunNodeData = FlowGraphRun & { width: number; height: number };
type RunNode = Node<RunNodeData, "run">;

/** Node size is fixed by the layout; the drawing follows it. */
interface FlowGraphProps {
  runs: readonly FlowGraphRun[];
  edges: readonly FlowGraphEdge[];
  /** Each run's top-left corner. */
  positions: ReadonlyMap<string, { x: number; y: number }>;
  nodeSize: { width: number; height: number };
  label: string;
}

/** Beyond this many runs only what is in view is rendered; below it that costs more than it saves. */
const visibleOnlyFrom = 100;
/** A minimap helps to find one's way from this many runs. */
const miniMapFrom = 40;

function describeRun({ name, task, status }: FlowGraphRun): string {
  return name === task ? `${name}: ${status}` : `${name} (${task}): ${status}`;
}

/** A run: its name, its task, coloured by status; a link to its page. */
const RunNodeView = memo(function RunNodeView({ data }: NodeProps<RunNode>) {
  return (
    <Link
      href={`/runs/${data.id}`}
      className={`flow-node flow-node-${data.status}`}
      style={{ width: data.width, height: data.height }}
      title={describeRun(data)}
      // The node around it takes the focus (React Flow pans to it); one tab stop per run.
      tabIndex={-1}
      data-testid="flow-node"
      data-status={data.status}
      data-run-id={data.id}
    >
      <Handle type="target" position={Position.Left} isConnectable={false} className="flow-node-handle" />
      <span className="flow-node-name">{data.name}</span>
      {data.name !== data.task && <span className="flow-node-task">{data.task}</span>}
      <Handle type="source" position={Position.Right} isConnectable={false} className="flow-node-handle" />
    </Link>
  );
});

const nodeTypes = { run: RunNodeView };

/**
 * Node objects are kept from one render to the next while their run is unchanged, so a status
 * change re-renders that node alone, not all 500.
 */
function useRunNodes(
  runs: readonly FlowGraphRun[],
  positions: FlowGraphProps["positions"],
  nodeSize: FlowGraphProps["nodeSize"],
): RunNode[] {
  const previous = useRef(new Map<string, RunNode>());
  return useMemo(() => {
    const next = new Map<string, RunNode>();
    const nodes = runs.map((run) => {
      const position = positions.get(run.id) ?? { x: 0, y: 0 };
      const kept = previous.current.get(run.id);
      const isSame =
        kept?.data.status === run.status && kept.position.x === position.x && kept.position.y === position.y;
      const node: RunNode = isSame
        ? kept
        : {
            id: run.id,
            type: "run",
            position,
            data: { ...run, ...nodeSize },
            width: nodeSize.width,
            height: nodeSize.height,
            ariaLabel: describeRun(run),
            draggable: false,
            connectable: false,
            selectable: false,
          };
      next.set(run.id, node);
      return node;
    });
    previous.current = next;
    return nodes;
  }, [runs, positions, nodeSize]);
}

const zoom = { min: 0.05, max: 2, fitMax: 1.25 } as const;
const fitViewOptions = { padding: 0.08, maxZoom: zoom.fitMax } as const;

function nodeColour(node: RunNode): string {
  return `var(--${node.data.status}-text)`;
}

/**
 * The viewport that fits the whole graph in the container, computed from the layout before the
 * first render. With React Flow's own `fitView` the graph first renders at zoom 1, measures, then
 * fits and renders again: for 500 nodes that doubles the time to a usable picture.
 */
function useFittedViewport(
  container: RefObject<HTMLElement | null>,
  positions: FlowGraphProps["positions"],
  nodeSize: FlowGraphProps["nodeSize"],
): Viewport | null {
  const [viewport, setViewport] = useState<Viewport | null>(null);
  useLayoutEffect(() => {
    const element = container.current;
    if (viewport || !element) return;
    const points = [...positions.values()];
    const x = Math.min(0, ...points.map((point) => point.x));
    const y = Math.min(0, ...points.map((point) => point.y));
    const bounds = {
      x,
      y,
      width: Math.max(0, ...points.map((point) => point.x)) + nodeSize.width - x,
      height: Math.max(0, ...points.map((point) => point.y)) + nodeSize.height - y,
    };
    setViewport(
      getViewportForBounds(
        bounds,
        element.clientWidth,
        element.clientHeight,
        zoom.min,
        zoom.fitMax,
        fitViewOptions.padding,
      ),
    );
  }, [container, positions, nodeSize, viewport]);
  return viewport;
}

/** The runs of a flow and what waits for what, left to right; a run's node opens its page. */
export const FlowGraph = memo(function FlowGraph({ runs, edges, positions, nodeSize, label }: FlowGraphProps) {
  const nodes = useRunNodes(runs, positions, nodeSize);
  const graphEdges = useMemo(
    (): Edge[] => edges.map(({ from, to }) => ({ id: `${from}>${to}`, source: from, target: to, focusable: false })),
    [edges],
  );
  const container = useRef<HTMLElement>(null);
  const viewport = useFittedViewport(container, positions, nodeSize);
  const [, navigate] = useLocation();

  // React Flow makes each node focusable and pans to it; Enter on a focused node opens its run.
  const onKeyDown = useCallback(
    (event: KeyboardEvent<HTMLElement>) => {
      if (event.key !== "Enter" || !(event.target instanceof HTMLElement)) return;
      const id = event.target.closest(".react-flow__node")?.getAttribute("data-id");
      if (id) navigate(`/runs/${id}`);
    },
    [navigate],
  );
  // The node's own link handles a click on it; this catches what it did not (and gives the
  // nodes pointer events at all: React Flow turns them off for nodes without a handler).
  const onNodeClick = useCallback(
    (event: MouseEvent, node: RunNode) => {
      if (!event.defaultPrevented) navigate(`/runs/${node.id}`);
    },
    [navigate],
  );

  return (
    <figure
      ref={container}
      className="flow-graph"
      aria-label={label}
      data-testid="flow-graph"
      data-node-count={runs.length}
      onKeyDown={onKeyDown}
    >
      {viewport && (
        <ReactFlow<RunNode>
          nodes={nodes}
          edges={graphEdges}
          nodeTypes={nodeTypes}
          colorMode="system"
          defaultViewport={viewport}
          minZoom={zoom.min}
          maxZoom={zoom.max}
          onlyRenderVisibleElements={runs.length >= visibleOnlyFrom}
          onNodeClick={onNodeClick}
          nodesDraggable={false}
          nodesConnectable={false}
          elementsSelectable={false}
          edgesFocusable={false}
          deleteKeyCode={null}
          selectionKeyCode={null}
          multiSelectionKeyCode={null}
        >
          <Background variant={BackgroundVariant.Dots} gap={24} size={1} />
          <Controls showInteractive={false} fitViewOptions={fitViewOptions} />
          {runs.length >= miniMapFrom && (
            <MiniMap<RunNode> pannable zoomable ariaLabel="Overview of the flow" nodeColor={nodeColour} />
          )}
        </ReactFlow>
      )}
    </figure>
  );
});
