import { type GraphQLResolveInfo, Kind, type SelectionSetNode } from 'graphql';

/**
 * Which columns of a model a query needs to answer what the client selected, so that a list reads
 * those columns and not every column of every row (Prisma's cost grows with rows x columns).
 *
 * A selected field that is a column of the model reads that column; a field resolver declares the
 * columns it reads from its parent row; any other field (a resolver added without declaring what
 * it reads) makes the answer "every column", so a forgotten declaration costs speed, never a wrong
 * answer.
 */
export interface ColumnPlan<Column extends string> {
  /** The model's scalar columns (Prisma's ScalarFieldEnum). */
  columns: Readonly<Record<string, Column>>;
  /** The columns each field resolver of the type reads from its parent row. */
  resolverNeeds: Readonly<Record<string, readonly Column[]>>;
  /** Columns every row carries whatever is selected (its id: cursors and loaders key on it). */
  always: readonly Column[];
}

export type ColumnSelect<Column extends string> = Partial<Record<Column, true>>;

/** The selection sets found under `path` (field names, through fragments) from `sets`. */
function selectionSetsAt(
  info: GraphQLResolveInfo,
  sets: readonly SelectionSetNode[],
  path: readonly string[],
): SelectionSetNode[] {
  if (path.length === 0) return [...sets];
  const [name, ...rest] = path;
  const next: SelectionSetNode[] = [];
  const visit = (set: SelectionSetNode): void => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value === name && selection.selectionSet) next.push(selection.selectionSet);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        visit(selection.selectionSet);
      } else {
        const fragment = info.fragments[selection.name.value];
        if (fragment) visit(fragment.selectionSet);
      }
    }
  };
  for (const set of sets) visit(set);
  return selectionSetsAt(info, next, rest);
}

/** The names of the fields selected directly in `sets`, through fragments (aliases resolved). */
function fieldNames(info: GraphQLResolveInfo, sets: readonly SelectionSetNode[]): Set<string> {
  const names = new Set<string>();
  const visit = (set: SelectionSetNode): void => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) names.add(selection.name.value);
      else if (selection.kind === Kind.INLINE_FRAGMENT) visit(selection.selectionSet);
      else {
        const fragment = info.fragments[selection.name.value];
        if (fragment) visit(fragment.selectionSet);
      }
    }
  };
  for (const set of sets) visit(set);
  return names;
}

/**
 * The Prisma `select` for the rows found at `path` below the resolved field (e.g. `['edges',
 * 'node']` for a connection), or undefined when every column is needed. Fields skipped by
 * @skip/@include still count: reading a column too many is harmless.
 */
export function selectedColumns<Column extends string>(
  info: GraphQLResolveInfo,
  path: readonly string[],
  plan: ColumnPlan<Column>,
): ColumnSelect<Column> | undefined {
  const roots = info.fieldNodes.flatMap((node) => (node.selectionSet ? [node.selectionSet] : []));
  const select: ColumnSelect<Column> = {};
  for (const column of plan.always) select[column] = true;
  for (const name of fieldNames(info, selectionSetsAt(info, roots, path))) {
    if (name === '__typename') continue;
    const needs = Object.hasOwn(plan.resolverNeeds, name) ? plan.resolverNeeds[name] : undefined;
    if (needs) for (const column of needs) select[column] = true;
    else if (Object.hasOwn(plan.columns, name)) select[plan.columns[name]!] = true;
    else return undefined;
  }
  return select;
}
