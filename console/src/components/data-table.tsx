import { Fragment, type ReactNode } from 'react';
import type { CombinedError } from 'urql';
import { Empty, QueryState } from './states';

// The console's tables: column headers scoped to their columns, an optional row header naming
// each row, the same empty and loading states everywhere, and one way to lay out row actions.

/** One column: its header and how a row fills its cell. */
export interface Column<Row> {
  /** The column header; a visually hidden one still names the column for screen readers. */
  header: ReactNode;
  cell: (row: Row) => ReactNode;
  /** The cell names its row (`<th scope="row">`), so screen readers announce it with each cell. */
  rowHeader?: boolean;
  className?: string;
}

/** Attributes of a row's `<tr>` (an id to scroll to, focusability, a highlight). */
export interface RowAttributes {
  id?: string;
  tabIndex?: number;
  className?: string;
}

interface FrameProps {
  /** A visible caption, which also names the table. */
  caption?: ReactNode;
  /** The table's accessible name when it has no caption. */
  label?: string;
  className?: string;
  /** Puts the table in a keyboard-scrollable box with this name. */
  scrollLabel?: string;
}

/** A table's frame: caption, column headers and the rows given as children. */
export function Table({
  headers,
  caption,
  label,
  className,
  scrollLabel,
  children,
}: FrameProps & { headers: ReactNode[]; children: ReactNode }) {
  const table = (
    <table className={className} aria-label={label}>
      {caption && <caption className="muted">{caption}</caption>}
      <thead>
        <tr>
          {headers.map((header, index) => (
            <th key={index} scope="col">
              {header}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
  if (!scrollLabel) return table;
  return (
    <div className="table-scroll" tabIndex={0} role="group" aria-label={scrollLabel}>
      {table}
    </div>
  );
}

/** How a query's state is shown until the rows are there. */
export interface TableQuery {
  fetching: boolean;
  error?: CombinedError;
  retry?: () => void;
}

/**
 * A table of records, one row each. With `query`, it shows the query's loading and error states
 * until `rows` arrive; with `empty`, an empty list shows that text instead of an empty table.
 */
export function DataTable<Row>({
  columns,
  rows,
  rowKey,
  rowAttributes,
  rowDetails,
  query,
  empty,
  ...frame
}: FrameProps & {
  columns: Column<Row>[];
  rows: Row[] | undefined;
  rowKey: (row: Row) => string;
  rowAttributes?: (row: Row) => RowAttributes;
  /** A full-width row under a row (an inline editor), when it returns content. */
  rowDetails?: (row: Row) => ReactNode;
  query?: TableQuery;
  empty?: ReactNode;
}) {
  const render = (list: Row[]) => (
    <Table headers={columns.map((column) => column.header)} {...frame}>
      {list.map((row) => {
        const details = rowDetails?.(row);
        return (
          <Fragment key={rowKey(row)}>
            <tr {...rowAttributes?.(row)}>
              {columns.map((column, index) =>
                column.rowHeader ? (
                  <th key={index} scope="row" className={column.className}>
                    {column.cell(row)}
                  </th>
                ) : (
                  <td key={index} className={column.className}>
                    {column.cell(row)}
                  </td>
                ),
              )}
            </tr>
            {details && (
              <tr>
                <td colSpan={columns.length}>{details}</td>
              </tr>
            )}
          </Fragment>
        );
      })}
    </Table>
  );
  if (query)
    return (
      <QueryState
        fetching={query.fetching}
        error={query.error}
        data={rows}
        retry={query.retry}
        isEmpty={(list) => empty !== undefined && list.length === 0}
        empty={empty}
      >
        {render}
      </QueryState>
    );
  if (!rows) return null;
  if (empty !== undefined && rows.length === 0) return <Empty>{empty}</Empty>;
  return render(rows);
}

/** A row's action buttons, side by side. */
export function RowActions({ children }: { children: ReactNode }) {
  return <div className="toolbar">{children}</div>;
}

/**
 * A button acting on one row. `label` names the row it acts on (“Revoke ci-bot”), since the
 * visible text alone (“Revoke”) is the same in every row.
 */
export function RowAction({
  label,
  onClick,
  disabled,
  danger = false,
  pressed,
  expanded,
  children,
}: {
  label?: string;
  onClick: () => void;
  disabled?: boolean;
  danger?: boolean;
  pressed?: boolean;
  expanded?: boolean;
  children: ReactNode;
}) {
  return (
    <button
      type="button"
      className={danger ? 'danger' : undefined}
      disabled={disabled}
      aria-label={label}
      aria-pressed={pressed}
      aria-expanded={expanded}
      onClick={onClick}
    >
      {children}
    </button>
  );
}
