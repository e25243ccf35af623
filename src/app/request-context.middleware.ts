import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import type { Metrics } from '../observability/metrics';

const ROUTES = ['/graphql', '/webhooks/meta', '/analytics', '/admin/queues', '/health/live', '/health/ready', '/metrics'];
const INCOMING_ID = /^[\w.:-]{1,128}$/;

/** Fixed route labels keep metric cardinality bounded whatever paths clients try. */
const routeLabel = (path: string) => ROUTES.find((route) => path === route || path.startsWith(`${route}/`)) ?? 'other';

/** Gives each request an id (or keeps a sane incoming X-Request-Id), a child logger, a log line and a metric. */
export function requestContext(log: Logger, metrics: Metrics) {
  return (req: Request, res: Response, next: NextFunction) => {
    const incoming = req.get('x-request-id');
    req.id = incoming && INCOMING_ID.test(incoming) ? incoming : randomUUID();
    req.log = log.child({ requestId: req.id });
    res.setHeader('X-Request-Id', req.id);
    // Read now: by 'finish', a router mounted on a path (/graphql, /admin/queues) has stripped it from req.path.
    const path = req.path;
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeLabel(path);
      metrics.httpRequests.observe({ method: req.method, route, status: String(res.statusCode) }, seconds);
      if (route !== '/health/live' && route !== '/metrics') {
        req.log.info({ method: req.method, path, status: res.statusCode, ms: Math.round(seconds * 1000) }, 'request');
      }
    });
    next();
  };
}
