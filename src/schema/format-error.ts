import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import { ArgumentValidationError } from 'type-graphql';
import type { ValidationError } from 'class-validator';
import { AppError, ErrorCode } from '../domain/errors';

/** Codes GraphQL and Apollo produce for bad requests: safe to show as they are. */
const REQUEST_ERROR_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  ...Object.values(ErrorCode),
]);

function firstViolation(errors: ValidationError[], parent = ''): { field: string; message: string } | null {
  for (const error of errors) {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const messages = Object.values(error.constraints ?? {});
    if (messages.length) return { field, message: messages.join('; ') };
    const nested = firstViolation(error.children ?? [], field);
    if (nested) return nested;
  }
  return null;
}

/**
 * graphql-js echoes the whole offending variable value in its message, which can carry an access
 * token or a password; keep only where and why (`Variable "$input" got invalid value at "input.x"; ...`).
 */
function withoutEchoedValue(message: string, error: unknown): string {
  const head = /^Variable "\$\w+" got invalid value/.exec(message);
  const reason = (error as { originalError?: { message?: unknown } } | null)?.originalError?.message;
  if (!head) return message;
  // Without the reason, where the echoed value ends is unknowable: say less rather than leak.
  if (typeof reason !== 'string' || !message.endsWith(`; ${reason}`)) return head[0];
  const at = / at "([^"\\]+)"$/.exec(message.slice(0, -(reason.length + 2)));
  return `${head[0]}${at ? ` at "${at[1]}"` : ''}; ${reason}`;
}

const shape = (formatted: GraphQLFormattedError, message: string, extensions: Record<string, unknown>): GraphQLFormattedError => ({
  message,
  ...(formatted.locations ? { locations: formatted.locations } : {}),
  ...(formatted.path ? { path: formatted.path } : {}),
  extensions,
});

/**
 * The one place errors become what clients see: our codes pass through, input validation names
 * the field, and anything unexpected becomes INTERNAL_SERVER_ERROR with no stack or SQL. The
 * original is logged with the request id by the logging plugin.
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  if (original instanceof AppError) {
    return shape(formatted, original.message, { ...original.extensions, code: original.code });
  }
  if (original instanceof ArgumentValidationError) {
    const violation = firstViolation(original.extensions.validationErrors as ValidationError[]);
    return shape(formatted, violation ? `${violation.field}: ${violation.message}` : 'Invalid input', {
      code: ErrorCode.BAD_USER_INPUT,
      ...(violation ? { field: violation.field } : {}),
    });
  }
  const code = formatted.extensions?.code;
  if (typeof code === 'string' && REQUEST_ERROR_CODES.has(code) && code !== ErrorCode.INTERNAL_SERVER_ERROR) {
    const { stacktrace: _stack, exception: _exception, ...extensions } = formatted.extensions ?? {};
    return shape(formatted, withoutEchoedValue(formatted.message, original), { ...extensions, code });
  }
  return shape(formatted, 'Internal server error', { code: ErrorCode.INTERNAL_SERVER_ERROR });
}
