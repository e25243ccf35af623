import type { NextFunction, Request, Response } from 'express';
import type { Authenticator } from '../auth/authenticator';
import { credentialKey } from '../auth/viewer';
import { AppError, ErrorCode } from '../domain/errors';
import type { RequestRateLimiter } from './rate-limit';

const graphqlError = (res: Response, status: number, code: ErrorCode, message: string) =>
  res.status(status).json({ errors: [{ message, extensions: { code } }] });

/**
 * Resolves the bearer credential once per request and applies the per-credential rate limit
 * (anonymous callers are limited per address) before any GraphQL work is done.
 */
export function graphqlAuth(authenticator: Authenticator, rateLimiter: RequestRateLimiter) {
  return async (req: Request, res: Response, next: NextFunction) => {
    if (req.method === 'OPTIONS') return next();
    try {
      req.viewer = await authenticator.authenticate(req.get('authorization'));
    } catch (error) {
      if (error instanceof AppError && error.code === ErrorCode.UNAUTHENTICATED) {
        // Failed credentials count against the caller's address, so guessing keys is rate limited too.
        const decision = await rateLimiter.consume(`ip:${req.ip}`);
        if (!decision.allowed) {
          res.setHeader('Retry-After', String(decision.retryAfterSeconds));
          return graphqlError(res, 429, ErrorCode.RATE_LIMITED, `Rate limit of ${decision.limit} requests a minute exceeded`);
        }
        res.setHeader('WWW-Authenticate', 'Bearer');
        return graphqlError(res, 401, error.code, error.message);
      }
      return next(error);
    }
    const decision = await rateLimiter.consume(req.viewer ? credentialKey(req.viewer) : `ip:${req.ip}`);
    res.setHeader('X-RateLimit-Limit', String(decision.limit));
    res.setHeader('X-RateLimit-Remaining', String(decision.remaining));
    if (!decision.allowed) {
      res.setHeader('Retry-After', String(decision.retryAfterSeconds));
      return graphqlError(res, 429, ErrorCode.RATE_LIMITED, `Rate limit of ${decision.limit} requests a minute exceeded`);
    }
    next();
  };
}
