import { buildSchema, graphql, type GraphQLResolveInfo } from 'graphql';
import { type ColumnPlan, selectedColumns } from './selected-columns';

type Column = 'id' | 'name' | 'status' | 'ownerId' | 'secret';

const PLAN: ColumnPlan<Column> = {
  columns: { id: 'id', name: 'name', status: 'status', ownerId: 'ownerId', secret: 'secret' },
  resolverNeeds: { owner: ['ownerId'], label: [] },
  always: ['id'],
};

const schema = buildSchema(`
  type Owner { id: ID! }
  type Thing { id: ID! name: String status: String owner: Owner label: String undeclared: String }
  type ThingEdge { cursor: String node: Thing }
  type PageInfo { hasNextPage: Boolean }
  type ThingConnection { edges: [ThingEdge] pageInfo: PageInfo }
  type Query { things: ThingConnection }
`);

/** The `select` the resolver of `things` would compute for this query. */
async function selectFor(query: string): Promise<Record<string, true> | undefined | 'not called'> {
  let select: Record<string, true> | undefined | 'not called' = 'not called';
  const result = await graphql({
    schema,
    source: query,
    rootValue: {
      things: (_args: unknown, _context: unknown, info: GraphQLResolveInfo) => {
        select = selectedColumns(info, ['edges', 'node'], PLAN);
        return { edges: [], pageInfo: { hasNextPage: false } };
      },
    },
  });
  expect(result.errors).toBeUndefined();
  return select;
}

describe('selectedColumns', () => {
  it('reads the selected columns and the id, not the fields outside the rows', async () => {
    expect(await selectFor('{ things { edges { cursor node { name } } pageInfo { hasNextPage } } }')).toEqual(
      {
        id: true,
        name: true,
      },
    );
  });

  it('follows aliases, named and inline fragments, and ignores __typename', async () => {
    const query = `
      fragment Row on Thing { status }
      { things { edges { node { __typename shown: name ...Row ... on Thing { id } } } } }`;
    expect(await selectFor(query)).toEqual({ id: true, name: true, status: true });
  });

  it('reads what a field resolver declares, and nothing for one that reads no column', async () => {
    expect(await selectFor('{ things { edges { node { owner { id } label } } } }')).toEqual({
      id: true,
      ownerId: true,
    });
  });

  it('reads every column when a field is neither a column nor declared', async () => {
    expect(await selectFor('{ things { edges { node { name undeclared } } } }')).toBeUndefined();
  });

  it('merges the same path selected twice', async () => {
    expect(await selectFor('{ things { edges { node { name } } edges { node { status } } } }')).toEqual({
      id: true,
      name: true,
      status: true,
    });
  });
});
