import { randomUUID } from 'node:crypto';
import { DomainError, ErrorCode } from '../errors/domain-error';
import {
  Connection,
  DEFAULT_PAGE_SIZE,
  decodeCursor,
  encodeCursor,
  MAX_PAGE_SIZE,
  PageQuery,
  paginate,
} from './pagination';

interface Row {
  id: string;
}

/** 45 rows with UUID ids in ascending order, and a fetch that behaves like findMany on them. */
function table(count = 45) {
  const rows: Row[] = Array.from({ length: count }, () => ({ id: randomUUID() })).sort((a, b) =>
    a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
  );
  const queries: PageQuery[] = [];
  const fetch = jest.fn(async (query: PageQuery): Promise<Row[]> => {
    queries.push(query);
    const after = query.where.id?.gt;
    return rows.filter((row) => after === undefined || row.id > after).slice(0, query.take);
  });
  return { rows, fetch, queries };
}

async function badInputFields(promise: Promise<unknown>): Promise<string[]> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    const domain = error as DomainError;
    expect(domain.code).toBe(ErrorCode.BAD_USER_INPUT);
    // One field may have several problems (an over-long cursor is also not a cursor); list each once.
    return [...new Set((domain.details.fields ?? []).map((problem) => problem.field))];
  }
  throw new Error('expected BAD_USER_INPUT');
}

describe('paginate', () => {
  it('answers the first 20 rows by default, asking for one more to know about the next page', async () => {
    const { rows, fetch, queries } = table();
    const page = await paginate({}, fetch);
    expect(DEFAULT_PAGE_SIZE).toBe(20);
    expect(queries).toEqual([{ take: 21, orderBy: { id: 'asc' }, where: {} }]);
    expect(page.edges.map((edge) => edge.node)).toEqual(rows.slice(0, 20));
    expect(page.pageInfo).toEqual({ hasNextPage: true, endCursor: encodeCursor(rows[19]!.id) });
  });

  it('treats null arguments as absent', async () => {
    const { rows, fetch, queries } = table();
    const page = await paginate({ first: null, after: null }, fetch);
    expect(queries[0]).toEqual({ take: 21, orderBy: { id: 'asc' }, where: {} });
    expect(page.edges).toHaveLength(20);
    expect(page.edges[0]!.node).toBe(rows[0]);
  });

  it('gives every edge the cursor of its own row', async () => {
    const { fetch } = table();
    const page = await paginate({ first: 5 }, fetch);
    for (const edge of page.edges) expect(decodeCursor(edge.cursor)).toBe(edge.node.id);
  });

  it('first=5 answers five rows, hasNextPage and the endCursor', async () => {
    const { rows, fetch, queries } = table();
    const page = await paginate({ first: 5 }, fetch);
    expect(queries[0]!.take).toBe(6);
    expect(page.edges.map((edge) => edge.node.id)).toEqual(rows.slice(0, 5).map((row) => row.id));
    expect(page.pageInfo.hasNextPage).toBe(true);
    expect(page.pageInfo.endCursor).toBe(page.edges[4]!.cursor);
  });

  it('after=endCursor continues with the filter where.id.gt', async () => {
    const { rows, fetch, queries } = table();
    const first = await paginate({ first: 5 }, fetch);
    const second = await paginate({ first: 5, after: first.pageInfo.endCursor }, fetch);
    expect(queries[1]).toEqual({ take: 6, orderBy: { id: 'asc' }, where: { id: { gt: rows[4]!.id } } });
    expect(second.edges.map((edge) => edge.node)).toEqual(rows.slice(5, 10));
    expect(second.pageInfo.hasNextPage).toBe(true);
  });

  it('walks the whole table without gaps or repeats and ends with hasNextPage false', async () => {
    const { rows, fetch } = table(45);
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const page: Connection<Row> = await paginate({ first: 10, after }, fetch);
      pages += 1;
      seen.push(...page.edges.map((edge) => edge.node.id));
      if (!page.pageInfo.hasNextPage) {
        expect(page.edges).toHaveLength(5);
        break;
      }
      after = page.pageInfo.endCursor;
    }
    expect(pages).toBe(5);
    expect(seen).toEqual(rows.map((row) => row.id));
  });

  it("walks newest first with order 'desc' and the filter where.id.lt", async () => {
    const { rows } = table(25);
    const newestFirst = [...rows].reverse();
    const queries: PageQuery[] = [];
    const fetch = async (query: PageQuery): Promise<Row[]> => {
      queries.push(query);
      const before = query.where.id?.lt;
      return newestFirst.filter((row) => before === undefined || row.id < before).slice(0, query.take);
    };
    const first = await paginate({ first: 10 }, fetch, 'desc');
    const second = await paginate({ first: 20, after: first.pageInfo.endCursor }, fetch, 'desc');
    expect(queries).toEqual([
      { take: 11, orderBy: { id: 'desc' }, where: {} },
      { take: 21, orderBy: { id: 'desc' }, where: { id: { lt: newestFirst[9]!.id } } },
    ]);
    expect([...first.edges, ...second.edges].map((edge) => edge.node)).toEqual(newestFirst);
    expect(first.pageInfo.hasNextPage).toBe(true);
    expect(second.pageInfo.hasNextPage).toBe(false);
  });

  it('an exactly full last page has no next page', async () => {
    const { fetch } = table(10);
    const page = await paginate({ first: 10 }, fetch);
    expect(page.edges).toHaveLength(10);
    expect(page.pageInfo.hasNextPage).toBe(false);
  });

  it('an empty result has no cursor', async () => {
    const { fetch } = table(0);
    expect(await paginate({ first: 5 }, fetch)).toEqual({
      edges: [],
      pageInfo: { hasNextPage: false, endCursor: null },
    });
  });

  it(`accepts first=1 and first=${MAX_PAGE_SIZE}`, async () => {
    const { fetch, queries } = table(150);
    expect((await paginate({ first: 1 }, fetch)).edges).toHaveLength(1);
    expect((await paginate({ first: MAX_PAGE_SIZE }, fetch)).edges).toHaveLength(100);
    expect(queries.map((query) => query.take)).toEqual([2, 101]);
  });

  it.each([0, -1, 101, 2.5, Number.NaN])('refuses first=%s naming `first`', async (first) => {
    const { fetch } = table();
    expect(await badInputFields(paginate({ first }, fetch))).toEqual(['first']);
    expect(fetch).not.toHaveBeenCalled();
  });

  it.each([
    ['garbage', 'garbage'],
    ['a raw UUID (not encoded)', randomUUID()],
    ['an encoded non-UUID', encodeCursor('1 OR 1=1')],
    ['an empty string', ''],
    ['an over-long cursor', encodeCursor(randomUUID()).repeat(3)],
  ])('refuses after=%s naming `after`', async (_name, after) => {
    const { fetch } = table();
    expect(await badInputFields(paginate({ first: 5, after }, fetch))).toEqual(['after']);
    expect(fetch).not.toHaveBeenCalled();
  });

  it('names both arguments when both are wrong', async () => {
    const { fetch } = table();
    expect((await badInputFields(paginate({ first: 0, after: 'nope' }, fetch))).sort()).toEqual([
      'after',
      'first',
    ]);
  });

  it('round-trips cursors', () => {
    const id = randomUUID();
    expect(decodeCursor(encodeCursor(id))).toBe(id);
    expect(encodeCursor(id)).not.toContain(id);
  });
});
