import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, type DocumentNode, type GraphQLSchema } from 'graphql';
import { getComplexity, simpleEstimator, type ComplexityEstimator } from 'graphql-query-complexity';
import { DEFAULT_PAGE_SIZE } from '../db/paginate';
import { ErrorCode } from '../domain/errors';

/** A list field with a `first` argument costs its children once per row it may return. */
const pageEstimator: ComplexityEstimator = ({ field, args, childComplexity }) => {
  if (!field.args.some((arg) => arg.name === 'first')) return undefined;
  const rows = typeof args.first === 'number' ? args.first : DEFAULT_PAGE_SIZE;
  return 1 + rows * childComplexity;
};

/**
 * The error that refuses an operation costing more than `maxComplexity` (or whose variables do not
 * coerce), or null when it may run. Shared by HTTP (the plugin) and WebSocket operations.
 */
export function complexityError(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | null | undefined,
  maxComplexity: number,
): GraphQLError | null {
  let complexity: number;
  try {
    complexity = getComplexity({
      schema,
      query: document,
      operationName: operationName ?? undefined,
      variables: variables ?? undefined,
      estimators: [pageEstimator, simpleEstimator({ defaultComplexity: 1 })],
    });
  } catch (error) {
    // Variables are coerced here before execution does: a wrong type must be the client's 400, not a 500.
    if (!(error instanceof GraphQLError)) throw error;
    return new GraphQLError(error.message, {
      nodes: error.nodes,
      originalError: error.originalError,
      extensions: { code: ErrorCode.BAD_USER_INPUT, http: { status: 400 } },
    });
  }
  if (complexity <= maxComplexity) return null;
  return new GraphQLError(`The query is too expensive: cost ${complexity}, at most ${maxComplexity} allowed`, {
    extensions: { code: ErrorCode.BAD_USER_INPUT, cost: complexity, maxCost: maxComplexity, http: { status: 400 } },
  });
}

/** Refuses operations whose estimated cost exceeds `maxComplexity`, before they execute. */
export function complexityPlugin(schema: GraphQLSchema, maxComplexity: number): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document }) {
          const error = complexityError(schema, document, request.operationName, request.variables, maxComplexity);
          if (error) throw error;
        },
      };
    },
  };
}
