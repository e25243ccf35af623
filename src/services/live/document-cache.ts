import { parse, validate, type DocumentNode, type GraphQLError, type GraphQLSchema, type ValidationRule } from 'graphql';

/** Longer documents are checked every time: a flood of distinct huge ones must not fill memory. */
const MAX_CACHED_LENGTH = 8 * 1024;

/**
 * Parsed and validated documents by their text. graphql-ws parses and validates every subscribe
 * (about 0.3 ms); agents' screens send the same few documents over and over, so each distinct text
 * is parsed and validated once. The same DocumentNode object comes back for the same text, which
 * also lets the fan-out group subscribers by document cheaply. Bounded: the oldest entry goes first.
 */
export class DocumentCache {
  private readonly documents = new Map<string, { document: DocumentNode; errors: readonly GraphQLError[] } | { syntaxError: GraphQLError }>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly rules: readonly ValidationRule[],
    private readonly maxEntries = 500,
  ) {}

  /** The document and its validation errors, or the syntax error. */
  get(source: string): { document: DocumentNode; errors: readonly GraphQLError[] } | { syntaxError: GraphQLError } {
    let entry = this.documents.get(source);
    if (!entry) {
      try {
        const document = parse(source);
        entry = { document, errors: validate(this.schema, document, this.rules) };
      } catch (error) {
        entry = { syntaxError: error as GraphQLError };
      }
      if (source.length > MAX_CACHED_LENGTH) return entry;
      if (this.documents.size >= this.maxEntries) this.documents.delete(this.documents.keys().next().value!);
      this.documents.set(source, entry);
    }
    return entry;
  }
}
