import { z } from 'zod';
import { validateInput } from '../errors/validate-input';

/**
 * Relay-style forward pagination. Ids are UUIDv7 (time-ordered), so ordering by id is ordering by
 * creation, and the cursor is simply the last id seen, opaque to clients. Lists are oldest first
 * unless a list asks for 'desc' (newest first, e.g. analyses).
 */
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

export interface Connection<T> {
  edges: Edge<T>[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const pageSchema = z.object({
  first: z.number().int().min(1).max(MAX_PAGE_SIZE).nullish(),
  after: z
    .string()
    .max(100)
    .refine((cursor) => UUID.test(decodeCursor(cursor)), 'is not a cursor returned by this API')
    .nullish(),
});

export const encodeCursor = (id: string): string => Buffer.from(id, 'utf8').toString('base64url');
export const decodeCursor = (cursor: string): string => Buffer.from(cursor, 'base64url').toString('utf8');

/** Spread into findMany; merge `where` with the caller's own filter. */
export interface PageQuery {
  take: number;
  orderBy: { id: 'asc' | 'desc' };
  where: { id?: { gt?: string; lt?: string } };
}

export async function paginate<T extends { id: string }>(
  args: PageArgs,
  fetch: (query: PageQuery) => Promise<T[]>,
  order: 'asc' | 'desc' = 'asc',
): Promise<Connection<T>> {
  const { first, after } = validateInput(pageSchema, args, '');
  const size = first ?? DEFAULT_PAGE_SIZE;
  // Filter by id > cursor (or <, newest first) rather than Prisma's `cursor`, which fails when the
  // cursor row is gone.
  const where = after ? { id: { [order === 'asc' ? 'gt' : 'lt']: decodeCursor(after) } } : {};
  const rows = await fetch({ take: size + 1, orderBy: { id: order }, where });
  const page = rows.slice(0, size);
  return {
    edges: page.map((node) => ({ cursor: encodeCursor(node.id), node })),
    pageInfo: {
      hasNextPage: rows.length > size,
      endCursor: page.length ? encodeCursor(page.at(-1)!.id) : null,
    },
  };
}
