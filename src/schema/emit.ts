import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import path from 'node:path';

/** The committed SDL; a test fails when the code's schema drifts from it. */
export const SCHEMA_FILE = path.join(__dirname, 'schema.graphql');

export const printAppSchema = (schema: GraphQLSchema): string =>
  `# Generated from the type-graphql resolvers by \`npm run schema:emit\`. Do not edit.\n\n${printSchema(lexicographicSortSchema(schema))}\n`;
