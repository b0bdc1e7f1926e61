import {
  createColumnHelper,
  type OnChangeFn,
  type RowSelectionState,
  rowSelectionFeature,
  tableFeatures,
  useTable,
} from "@tanstack/react-table";
import { useVirtualizer } from "@tanstack/react-virtual";
import { type ComponentProps, useEffect, useRef } from "react";
import { Link } from "wouter";
import { formatProgress, ProgressBar } from "../../components/ProgressBar";
import { StatusBadge } from "../../components/StatusBadge";
import { Timestamp } from "../../components/Timestamp";
import type { RouterOutputs } from "../../trpc";

type RunSummary = RouterOutputs["runs"]["list"]["items"][number];

/** A row's height before it is measured; rows with a progress bar are a little taller. */
const estimatedRowPx = 44;
/** Rows rendered beyond each edge of the visible ones, so a quick scroll shows no blank. */
const overscanRows = 12;
/** The next page is asked for once the last rendered row is this close to the end. */
const loadAheadRows = 30;

const features = tableFeatures({ rowSelectionFeature });
const column = createColumnHelper<typeof features, RunSummary>();

/** A checkbox that can also show "some selected". */
function Checkbox({ isIndeterminate = false, ...props }: ComponentProps<"input"> & { isIndeterminate?: boolean }) {
  const ref = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (ref.current) ref.current.indeterminate = isIndeterminate;
  }, [isIndeterminate]);
  return <input ref={ref} type="checkbox" {...props} />;
}

const selectColumn = column.display({
  id: "select",
  header: ({ table }) => (
    <Checkbox
      aria-label="Select all loaded runs"
      data-testid="select-all-runs"
      checked={table.getIsAllRowsSelected()}
      isIndeterminate={table.getIsSomeRowsSelected()}
      onChange={table.getToggleAllRowsSelectedHandler()}
    />
  ),
  cell: ({ row }) => (
    <Checkbox
      aria-label={`Select run ${row.original.id}`}
      data-testid="select-run"
      checked={row.getIsSelected()}
      onChange={row.getToggleSelectedHandler()}
    />
  ),
});

const dataColumns = [
  column.accessor("id", {
    header: "Run",
    cell: ({ row }) => (
      <Link href={`/runs/${row.original.id}`} className="run-id">
        {row.original.id}
      </Link>
    ),
  }),
  column.accessor("task", { header: "Task" }),
  column.accessor("status", { header: "Status", cell: ({ row }) => <StatusBadge status={row.original.status} /> }),
  column.accessor("progress", {
    header: "Progress",
    cell: ({ row }) => {
      const run = row.original;
      if (!run.progress) return <span className="muted">—</span>;
      return (
        <div className="progress-cell">
          <ProgressBar progress={run.progress} label={`Progress of run ${run.id}`} />
          <span className="progress-text">{formatProgress(run.progress)}</span>
        </div>
      );
    },
  }),
  column.accessor("attempts", {
    header: "Attempts",
    cell: ({ row }) => `${row.original.attempts} / ${row.original.maxAttempts}`,
  }),
  column.accessor("createdAt", { header: "Created", cell: ({ row }) => <Timestamp date={row.original.createdAt} /> }),
];

const readOnlyColumns = column.columns(dataColumns);
const selectableColumns = column.columns([selectColumn, ...dataColumns]);

interface RunsTableProps {
  runs: RunSummary[];
  /** The selected run ids; `null` when the reader may not act on runs (no checkboxes). */
  selection: RowSelectionState | null;
  onSelectionChange: OnChangeFn<RowSelectionState>;
  /** Asks for the next page; called as the reader scrolls near the end of the loaded rows. */
  onNearEnd: () => void;
}

/**
 * The loaded runs, virtualized: however many pages are loaded, only the rows in view (and a few
 * either side) are in the DOM. Spacer rows above and below keep the scroll height true, so the
 * table stays a real table with a sticky header.
 */
export function RunsTable({ runs, selection, onSelectionChange, onNearEnd }: RunsTableProps) {
  const table = useTable({
    features,
    columns: selection ? selectableColumns : readOnlyColumns,
    data: runs,
    getRowId: (run) => run.id,
    enableRowSelection: selection !== null,
    state: { rowSelection: selection ?? {} },
    onRowSelectionChange: onSelectionChange,
  });
  const rows = table.getRowModel().rows;

  const scrollRef = useRef<HTMLDivElement>(null);
  // Scrolled down, the reader keeps the rows in view while new runs arrive above; at the top, the
  // new runs come into view. (The virtualizer anchors to the row at the scroll offset when rows are
  // added at either end; the table re-renders on every scroll, so this reads the current offset.)
  const isScrolledDown = (scrollRef.current?.scrollTop ?? 0) > 0;
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => estimatedRowPx,
    overscan: overscanRows,
    getItemKey: (index) => rows[index]?.id ?? index,
    anchorTo: isScrolledDown ? "end" : "start",
  });
  const visible = virtualizer.getVirtualItems();
  const first = visible[0];
  const last = visible.at(-1);
  const paddingTop = first ? first.start : 0;
  const paddingBottom = last ? virtualizer.getTotalSize() - last.end : 0;

  const nearEnd = useRef(onNearEnd);
  useEffect(() => {
    nearEnd.current = onNearEnd;
  });
  const lastIndex = last?.index ?? -1;
  useEffect(() => {
    if (lastIndex >= 0 && lastIndex >= rows.length - loadAheadRows) nearEnd.current();
  }, [lastIndex, rows.length]);

  const columnCount = table.getAllLeafColumns().length;
  return (
    <div className="table-scroll runs-scroll" ref={scrollRef} data-testid="runs-scroll">
      <table className="runs-table runs-table-virtual" aria-rowcount={rows.length + 1}>
        <colgroup>
          {table.getAllLeafColumns().map((leaf) => (
            <col key={leaf.id} className={`col-${leaf.id}`} />
          ))}
        </colgroup>
        <thead>
          {table.getHeaderGroups().map((group) => (
            <tr key={group.id} aria-rowindex={1}>
              {group.headers.map((header) => (
                <th key={header.id} scope="col" className={`cell-${header.column.id}`}>
                  {header.isPlaceholder ? null : <table.FlexRender header={header} />}
                </th>
              ))}
            </tr>
          ))}
        </thead>
        <tbody>
          {paddingTop > 0 && (
            <tr className="spacer-row" style={{ height: paddingTop }}>
              <td colSpan={columnCount} />
            </tr>
          )}
          {visible.map((item) => {
            const row = rows[item.index];
            if (!row) return null;
            return (
              <tr
                key={row.id}
                ref={virtualizer.measureElement}
                data-index={item.index}
                aria-rowindex={item.index + 2}
                className={selection && row.getIsSelected() ? "is-selected" : undefined}
                data-testid="run-row"
                data-run-id={row.original.id}
              >
                {row.getAllCells().map((cell) => (
                  <td key={cell.id} className={`cell-${cell.column.id}`}>
                    <table.FlexRender cell={cell} />
                  </td>
                ))}
              </tr>
            );
          })}
          {paddingBottom > 0 && (
            <tr className="spacer-row" style={{ height: paddingBottom }}>
              <td colSpan={columnCount} />
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}
