import type { NextFunction, Request, Response } from 'express';

/** Deep enough for any GraphQL request we accept (the depth limit is far lower). */
const MAX_WALK_DEPTH = 64;

function containsNul(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (depth > MAX_WALK_DEPTH || !value || typeof value !== 'object') return false;
  for (const [key, item] of Object.entries(value)) {
    if (key.includes('\u0000') || containsNul(item, depth + 1)) return true;
  }
  return false;
}

/**
 * PostgreSQL text cannot hold U+0000. Rather than failing deep inside a write, a GraphQL request
 * carrying one anywhere is refused up front with a clear BAD_USER_INPUT.
 */
export function rejectNul() {
  return (req: Request, res: Response, next: NextFunction) => {
    if (containsNul(req.body) || containsNul(req.query)) {
      res.status(400).json({
        errors: [{ message: 'Text must not contain the NUL character (U+0000)', extensions: { code: 'BAD_USER_INPUT' } }],
      });
      return;
    }
    next();
  };
}
