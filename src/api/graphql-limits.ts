import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import {
  type ASTVisitor,
  Kind,
  type FragmentDefinitionNode,
  GraphQLError,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import type { AppConfig } from '../config/config';

/**
 * Root fields whose cost grows with the tenant's data rather than with the selection (a walk of
 * the whole audit chain): an operation may ask for each at most once, whatever its aliases.
 */
export const ONCE_PER_OPERATION_FIELDS: readonly string[] = ['verifyAuditChain'];

/**
 * Validation rules that refuse expensive operations before they run: depth, estimated cost,
 * aliases, and fields that may appear once per operation. The token limit is a parser option (see
 * app.ts). List sizes are capped separately by pagination (at most 100 a page).
 */
export function graphqlLimitRules(config: AppConfig): ValidationRule[] {
  // By default the rules throw, which Apollo reports as an internal error; reporting the
  // rejection as a validation error makes it a BAD_USER_INPUT like any other invalid operation.
  const reject = {
    propagateOnRejection: false,
    onReject: [(context: ValidationContext | null, error: GraphQLError) => context?.reportError(error)],
    exposeLimits: true,
  };
  return [
    maxDepthRule({ ...reject, n: config.GRAPHQL_MAX_DEPTH, ignoreIntrospection: true }),
    costLimitRule({ ...reject, maxCost: config.GRAPHQL_MAX_COST, ignoreIntrospection: true }),
    maxAliasesRule({ ...reject, n: config.GRAPHQL_MAX_ALIASES }),
    oncePerOperationRule(ONCE_PER_OPERATION_FIELDS),
  ] as ValidationRule[];
}

/**
 * Refuses an operation that selects one of `fields` at its root under more than one response key
 * (aliases), directly or through fragments. Selections under one key are merged by GraphQL and run
 * once, so `{ a: f ...F }` with `fragment F on Query { a: f }` is still one.
 */
export function oncePerOperationRule(fields: readonly string[]): ValidationRule {
  const wanted = new Set(fields);
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>(
      context
        .getDocument()
        .definitions.filter((definition) => definition.kind === Kind.FRAGMENT_DEFINITION)
        .map((definition) => [definition.name.value, definition]),
    );
    return {
      OperationDefinition(operation) {
        const keys = new Map<string, Set<string>>();
        const seen = new Set<string>();
        const collect = (selections: SelectionSetNode): void => {
          for (const selection of selections.selections) {
            if (selection.kind === Kind.FIELD) {
              const name = selection.name.value;
              if (!wanted.has(name)) continue;
              const set = keys.get(name) ?? new Set<string>();
              set.add(selection.alias?.value ?? name);
              keys.set(name, set);
            } else if (selection.kind === Kind.INLINE_FRAGMENT) {
              collect(selection.selectionSet);
            } else {
              const fragment = fragments.get(selection.name.value);
              if (!fragment || seen.has(fragment.name.value)) continue;
              seen.add(fragment.name.value);
              collect(fragment.selectionSet);
            }
          }
        };
        collect(operation.selectionSet);
        for (const [name, aliases] of keys) {
          if (aliases.size > 1) {
            context.reportError(
              new GraphQLError(
                `${name} may be asked for once per operation (found ${aliases.size} times): it re-reads the whole chain each time`,
                { nodes: [operation] },
              ),
            );
          }
        }
      },
    };
  };
}
