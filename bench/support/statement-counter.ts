/**
 * Counts the SQL statements a process sends to PostgreSQL, for the benchmarks' "statements per
 * window": every query node-postgres sends, transaction control (BEGIN, COMMIT, ROLLBACK)
 * included, since each is a round trip too. Installed once per process, before its Prisma client
 * runs its first query; it wraps pg's Client.query, which Prisma's driver adapter uses for all
 * statements.
 */
import pg from 'pg';

export interface StatementCounts {
  total: number;
  /** By kind: the statement's first word, with the table for INSERT, UPDATE, DELETE and SELECT. */
  byKind: Record<string, number>;
}

const counts: StatementCounts = { total: 0, byKind: {} };
let installed = false;

/** A short name of a statement: its verb and, where easy to find, its table. */
function kindOf(text: string): string {
  const verb = /^\s*(\w+)/.exec(text)?.[1]?.toUpperCase() ?? '?';
  const table = /\b(?:FROM|INTO|UPDATE)\s+(?:"?\w+"?\.)?"(\w+)"/i.exec(text)?.[1];
  return table ? `${verb} ${table}` : verb;
}

export function countStatements(): () => StatementCounts {
  if (!installed) {
    installed = true;
    const original = pg.Client.prototype.query as (...args: unknown[]) => unknown;
    (pg.Client.prototype as { query: unknown }).query = function query(this: unknown, ...args: unknown[]) {
      const first = args[0];
      const text = typeof first === 'string' ? first : ((first as { text?: string } | null)?.text ?? '');
      counts.total += 1;
      const kind = kindOf(text);
      counts.byKind[kind] = (counts.byKind[kind] ?? 0) + 1;
      return original.apply(this, args);
    };
  }
  return () => ({ total: counts.total, byKind: { ...counts.byKind } });
}

/** What happened between two readings. */
export function statementsBetween(start: StatementCounts, end: StatementCounts): StatementCounts {
  const byKind: Record<string, number> = {};
  for (const [kind, count] of Object.entries(end.byKind)) {
    const delta = count - (start.byKind[kind] ?? 0);
    if (delta > 0) byKind[kind] = delta;
  }
  return { total: end.total - start.total, byKind };
}
