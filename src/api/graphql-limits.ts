import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import type { GraphQLError, ValidationContext, ValidationRule } from 'graphql';
import type { AppConfig } from '../config/config';

/**
 * Validation rules that refuse expensive operations before they run: depth, estimated cost and
 * aliases. The token limit is a parser option (see app.ts). List sizes are capped separately by
 * pagination (at most 100 a page).
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
  ] as ValidationRule[];
}
