import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import type { ValidationRule } from 'graphql';
import type { AppConfig } from '../config/config';

/**
 * Validation rules that refuse expensive operations before they run: depth, estimated cost and
 * aliases. The token limit is a parser option (see app.ts). List sizes are capped separately by
 * pagination (at most 100 a page).
 */
export function graphqlLimitRules(config: AppConfig): ValidationRule[] {
  return [
    maxDepthRule({ n: config.GRAPHQL_MAX_DEPTH, ignoreIntrospection: true, exposeLimits: true }),
    costLimitRule({ maxCost: config.GRAPHQL_MAX_COST, ignoreIntrospection: true, exposeLimits: true }),
    maxAliasesRule({ n: config.GRAPHQL_MAX_ALIASES, exposeLimits: true }),
  ] as ValidationRule[];
}
