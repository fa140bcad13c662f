import {
  getNamedType,
  GraphQLArgument,
  GraphQLField,
  GraphQLInputObjectType,
  GraphQLInputType,
  GraphQLNamedType,
  GraphQLSchema,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
} from 'graphql';

/**
 * Builds a runnable document for any root field of the schema, so tests can cover every operation
 * without anyone listing them by hand: variables for each argument, and a selection of every field
 * reachable without arguments (to a bounded depth), so leaked data would show up in the response.
 */
export interface SchemaOperation {
  kind: 'query' | 'mutation';
  name: string;
  field: GraphQLField<unknown, unknown>;
}

export function rootOperations(schema: GraphQLSchema): SchemaOperation[] {
  const operations: SchemaOperation[] = [];
  for (const [kind, type] of [
    ['query', schema.getQueryType()],
    ['mutation', schema.getMutationType()],
  ] as const) {
    for (const field of Object.values(type?.getFields() ?? {}))
      operations.push({ kind, name: field.name, field });
  }
  return operations;
}

/** A selection of every field of `type` reachable without arguments, to a bounded depth. */
export function selectionOf(type: GraphQLNamedType, depth: number): string {
  if (isLeafType(type)) return '';
  if (!isObjectType(type) || depth > 4) return '';
  const parts: string[] = [];
  for (const field of Object.values(type.getFields())) {
    if (field.args.some((arg) => isNonNullType(arg.type))) continue;
    const named = getNamedType(field.type);
    if (isLeafType(named)) parts.push(field.name);
    else {
      const sub = selectionOf(named, depth + 1);
      if (sub) parts.push(`${field.name} ${sub}`);
    }
  }
  return parts.length ? `{ ${parts.join(' ')} }` : '';
}

function typeString(type: GraphQLInputType): string {
  return type.toString();
}

export type ValueFor = (path: string[], type: GraphQLInputType) => unknown;

/** Builds a value for an argument or input field, asking `leaf` for scalars and enums. */
export function buildValue(
  type: GraphQLInputType,
  path: string[],
  leaf: ValueFor,
  requiredOnly: boolean,
): unknown {
  const inner = isNonNullType(type) ? type.ofType : type;
  if (isListType(inner)) return [buildValue(inner.ofType as GraphQLInputType, path, leaf, requiredOnly)];
  if (isInputObjectType(inner)) return buildInputObject(inner, path, leaf, requiredOnly);
  if (isScalarType(inner) || isEnumType(inner)) return leaf(path, inner);
  throw new Error(`Unsupported input type at ${path.join('.')}`);
}

function buildInputObject(
  type: GraphQLInputObjectType,
  path: string[],
  leaf: ValueFor,
  requiredOnly: boolean,
): Record<string, unknown> {
  const value: Record<string, unknown> = {};
  for (const field of Object.values(type.getFields())) {
    const fieldPath = [...path, field.name];
    const provided = leaf(fieldPath, field.type);
    if (provided !== undefined) value[field.name] = provided;
    else if (isNonNullType(field.type) || !requiredOnly) {
      const built = buildValue(field.type, fieldPath, leaf, requiredOnly);
      if (built !== undefined) value[field.name] = built;
    }
  }
  return value;
}

export function buildDocument(
  operation: SchemaOperation,
  leaf: ValueFor,
): { query: string; variables: Record<string, unknown> } {
  const variables: Record<string, unknown> = {};
  const declarations: string[] = [];
  const passes: string[] = [];
  for (const arg of operation.field.args as readonly GraphQLArgument[]) {
    const value =
      leaf([arg.name], arg.type) ??
      (isNonNullType(arg.type) ? buildValue(arg.type, [arg.name], leaf, false) : undefined);
    if (value === undefined) continue;
    variables[arg.name] = value;
    declarations.push(`$${arg.name}: ${typeString(arg.type)}`);
    passes.push(`${arg.name}: $${arg.name}`);
  }
  const selection = selectionOf(getNamedType(operation.field.type), 1);
  const args = passes.length ? `(${passes.join(', ')})` : '';
  const vars = declarations.length ? `(${declarations.join(', ')})` : '';
  return {
    query: `${operation.kind} Probe${vars} { ${operation.name}${args} ${selection} }`,
    variables,
  };
}
