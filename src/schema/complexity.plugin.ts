import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import { getComplexity, simpleEstimator, type ComplexityEstimator } from 'graphql-query-complexity';
import { DEFAULT_PAGE_SIZE } from '../db/paginate';
import { ErrorCode } from '../domain/errors';

/** A list field with a `first` argument costs its children once per row it may return. */
const pageEstimator: ComplexityEstimator = ({ field, args, childComplexity }) => {
  if (!field.args.some((arg) => arg.name === 'first')) return undefined;
  const rows = typeof args.first === 'number' ? args.first : DEFAULT_PAGE_SIZE;
  return 1 + rows * childComplexity;
};

/** Refuses operations whose estimated cost exceeds `maxComplexity`, before they execute. */
export function complexityPlugin(schema: GraphQLSchema, maxComplexity: number): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document }) {
          let complexity: number;
          try {
            complexity = getComplexity({
              schema,
              query: document,
              operationName: request.operationName,
              variables: request.variables,
              estimators: [pageEstimator, simpleEstimator({ defaultComplexity: 1 })],
            });
          } catch (error) {
            // Variables are coerced here before Apollo does: a wrong type must be the client's 400, not a 500.
            if (!(error instanceof GraphQLError)) throw error;
            throw new GraphQLError(error.message, {
              nodes: error.nodes,
              originalError: error.originalError,
              extensions: { code: ErrorCode.BAD_USER_INPUT, http: { status: 400 } },
            });
          }
          if (complexity > maxComplexity) {
            throw new GraphQLError(`The query is too expensive: cost ${complexity}, at most ${maxComplexity} allowed`, {
              extensions: { code: ErrorCode.BAD_USER_INPUT, cost: complexity, maxCost: maxComplexity, http: { status: 400 } },
            });
          }
        },
      };
    },
  };
}
