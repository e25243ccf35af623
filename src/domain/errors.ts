/** Error codes clients rely on (DESIGN.md section 6); `extensions.code` carries one of them. */
export enum ErrorCode {
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  FORBIDDEN = 'FORBIDDEN',
  NOT_FOUND = 'NOT_FOUND',
  BAD_USER_INPUT = 'BAD_USER_INPUT',
  CONFLICT = 'CONFLICT',
  WINDOW_CLOSED = 'WINDOW_CLOSED',
  TEMPLATE_NOT_APPROVED = 'TEMPLATE_NOT_APPROVED',
  FLOW_INVALID = 'FLOW_INVALID',
  RATE_LIMITED = 'RATE_LIMITED',
  /** Meta restricted the channel's account: the send would be refused. */
  CHANNEL_RESTRICTED = 'CHANNEL_RESTRICTED',
  INTERNAL_SERVER_ERROR = 'INTERNAL_SERVER_ERROR',
}

/** An expected failure with a client-facing code; anything else is an internal error and is hidden. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const notFound = (what: string, field?: string) =>
  new AppError(ErrorCode.NOT_FOUND, `${what} not found`, field ? { field } : {});
export const forbidden = (message = 'Your role does not allow this') => new AppError(ErrorCode.FORBIDDEN, message);
export const unauthenticated = (message = 'Missing or invalid credentials') =>
  new AppError(ErrorCode.UNAUTHENTICATED, message);
export const badInput = (field: string, message: string) =>
  new AppError(ErrorCode.BAD_USER_INPUT, message, { field });
export const conflict = (message: string, field?: string) =>
  new AppError(ErrorCode.CONFLICT, message, field ? { field } : {});
