import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { buildSchema, type PubSub } from 'type-graphql';
import { authChecker } from '../auth/auth-checker';
import { resolvers } from '../resolvers';

/**
 * type-graphql insists on a pubSub once there are subscriptions, but ours all pass their own
 * `subscribe` (services/live, over the SubscriptionHub): topics are never used.
 */
const noTopics: PubSub = {
  publish: () => {
    throw new Error('Publish domain events with the EventBus');
  },
  subscribe: () => {
    throw new Error('Subscriptions use their own subscribe function');
  },
};

export async function buildAppSchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers,
    authChecker,
    pubSub: noTopics,
    // class-validator rules on inputs; unknown fields are already refused by GraphQL itself.
    validate: { forbidUnknownValues: false, validationError: { target: false, value: false } },
    emitSchemaFile: false,
  });
}
