import 'reflect-metadata';
import { GraphQLSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { buildSchema, type PubSub } from 'type-graphql';
import { authChecker } from './auth-checker';
import { resolvers } from '../resolvers';

const noPubSub: PubSub = {
  publish: () => {
    throw new Error('Publish with publishEvent (src/pubsub/event-bus.ts)');
  },
  subscribe: () => {
    throw new Error('Subscriptions are served by the SubscriptionHub');
  },
};

export function buildVigilSchema(): Promise<GraphQLSchema> {
  // Inputs are validated by the services (zod), which the CLI shares; no class-validator here.
  // Subscriptions are served by the SubscriptionHub (each field's own `subscribe`), never by a
  // type-graphql PubSub; type-graphql still wants one declared.
  return buildSchema({ resolvers, authChecker, validate: false, pubSub: noPubSub });
}

/** The SDL committed as src/schema/schema.graphql; a test fails when it drifts from the code. */
export async function printVigilSchema(): Promise<string> {
  return printSchema(lexicographicSortSchema(await buildVigilSchema())) + '\n';
}
