import type { ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError } from 'graphql';
import { ArgumentValidationError } from 'type-graphql';
import type { Logger } from 'pino';
import { AppError } from '../domain/errors';
import type { Metrics } from '../observability/metrics';

/** Operation names come from clients; past this many distinct ones they are counted as "other". */
const MAX_OPERATION_NAMES = 200;

/** Counts operations by outcome and logs unexpected errors with the request id (clients see none of it). */
export function observabilityPlugin(metrics: Metrics, log: Logger): ApolloServerPlugin<{ requestId?: string; log?: Logger }> {
  const names = new Set<string>();
  const label = (name: string | null | undefined) => {
    if (!name) return 'anonymous';
    if (names.has(name)) return name;
    if (names.size >= MAX_OPERATION_NAMES || !/^\w{1,64}$/.test(name)) return 'other';
    names.add(name);
    return name;
  };
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue }) {
          for (const error of errors) {
            const original = unwrapResolverError(error);
            const expected =
              original instanceof AppError || original instanceof ArgumentValidationError || (original instanceof GraphQLError && !error.path);
            if (!expected) (contextValue?.log ?? log).error({ err: original, path: error.path }, 'GraphQL resolver failed');
          }
        },
        async willSendResponse({ operation, errors, operationName }) {
          metrics.graphqlOperations.inc({
            type: operation?.operation ?? 'unknown',
            name: label(operationName),
            outcome: errors?.length ? 'error' : 'ok',
          });
        },
      };
    },
  };
}
