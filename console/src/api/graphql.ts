import { initGraphQLTada } from 'gql.tada';
import type { introspection } from '../graphql-env.d.ts';

/**
 * Typed GraphQL documents: every operation the console sends is checked against the committed
 * schema (src/schema/schema.graphql), from which `npm run generate` writes graphql-env.d.ts.
 */
export const graphql = initGraphQLTada<{
  introspection: introspection;
  // Fragments are plain field lists here, not privacy boundaries between components.
  disableMasking: true;
  scalars: {
    DateTimeISO: string;
    JSON: unknown;
    JSONObject: Record<string, unknown>;
  };
}>();

export type { ResultOf, VariablesOf } from 'gql.tada';
