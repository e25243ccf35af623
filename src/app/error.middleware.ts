import type { NextFunction, Request, Response } from 'express';

interface HttpError {
  status?: number;
  statusCode?: number;
  type?: string;
  expose?: boolean;
  message?: string;
}

/**
 * Last Express handler: body-parser's 400/413 and anything else a route threw. Client errors keep
 * their status and a clear message; the rest is a logged 500 that reveals nothing.
 */
export function errorHandler() {
  return (error: HttpError, req: Request, res: Response, _next: NextFunction) => {
    const status = error.status ?? error.statusCode ?? 500;
    if (status >= 500) req.log.error({ err: error }, 'unhandled error');
    const message =
      error.type === 'entity.too.large'
        ? 'Request body is too large'
        : error.type === 'entity.parse.failed'
          ? 'Request body is not valid JSON'
          : status < 500 && error.expose !== false
            ? (error.message ?? 'Bad request')
            : 'Internal server error';
    if (res.headersSent) return;
    const code = status === 413 ? 'PAYLOAD_TOO_LARGE' : status < 500 ? 'BAD_REQUEST' : 'INTERNAL_SERVER_ERROR';
    res.status(status).json({ errors: [{ message, extensions: { code } }] });
  };
}
