import { randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener } from 'node:http';
import type { Logger } from 'pino';
import type { Metrics } from '../observability/metrics';
import type { DeliveryInbox } from '../services/delivery-inbox';
import { isValidSignature } from '../meta/webhook-signature';
import { readBody } from './request-body';
import { classifyEnvelope } from './webhook-envelope';
import { WEBHOOK_BODY_LIMIT, WEBHOOK_PATH } from './meta-webhook.routes';

export interface MetaWebhookOptions {
  appSecret: string;
  inbox: DeliveryInbox;
  log: Logger;
  metrics: Metrics;
}

/** The same rule as the Express request context (request-context.middleware.ts) for a client's X-Request-Id. */
const INCOMING_ID = /^[\w.:-]{1,128}$/;

/** What Express routed to this handler before: case-insensitive, with or without one trailing slash. */
function isWebhookPath(url: string | undefined): boolean {
  if (url === WEBHOOK_PATH) return true;
  if (!url) return false;
  const query = url.indexOf('?');
  const path = (query < 0 ? url : url.slice(0, query)).toLowerCase();
  return path === WEBHOOK_PATH || path === `${WEBHOOK_PATH}/`;
}

/**
 * `POST /webhooks/meta` as a plain node:http listener in front of Express, which takes every other
 * request. Meta's deliveries are the busiest route and the handler is small (read, verify, check
 * the envelope, make durable, answer), so Express's routing and response helpers were most of the
 * cost of a delivery. It keeps what the Express request context gives every request: an id in
 * X-Request-Id, a log line and the request metric.
 */
export function metaWebhookListener(options: MetaWebhookOptions, fallback: RequestListener): RequestListener {
  const { appSecret, inbox, log, metrics } = options;
  const logRequests = () => log.isLevelEnabled('info');

  return (req, res) => {
    if (req.method !== 'POST' || !isWebhookPath(req.url)) return fallback(req, res);
    const started = process.hrtime.bigint();
    const incoming = req.headers['x-request-id'];
    const requestId = typeof incoming === 'string' && INCOMING_ID.test(incoming) ? incoming : randomUUID();

    const answer = (status: number, text: string) => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text), 'x-request-id': requestId });
      res.end(text);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.httpRequests.observe({ method: 'POST', route: WEBHOOK_PATH, status: String(status) }, seconds);
      if (logRequests()) log.info({ requestId, method: 'POST', path: req.url!.split('?')[0], status, ms: Math.round(seconds * 1000) }, 'request');
    };

    void handle(req, appSecret, inbox).then(
      ([status, text, deliveryId]) => {
        if (status === 0) return; // the client left mid-body: nobody to answer
        if (deliveryId && log.isLevelEnabled('debug')) log.debug({ requestId, deliveryId }, 'webhook delivery stored');
        answer(status, text);
      },
      (error: unknown) => {
        // Not durable, so not acknowledged: Meta retries on anything but 200.
        log.error({ requestId, err: error }, 'could not store webhook delivery');
        answer(503, 'Temporarily unavailable');
      },
    );
  };
}

/** [status, text, delivery id when stored]; status 0 when there is no one to answer. Rejects when the store failed. */
async function handle(req: IncomingMessage, appSecret: string, inbox: DeliveryInbox): Promise<[number, string, string?]> {
  const body = await readBody(req, WEBHOOK_BODY_LIMIT);
  if (body.kind === 'gone') return [0, ''];
  if (body.kind === 'refused') return [body.status, body.message];
  const signature = req.headers['x-hub-signature-256'];
  if (!isValidSignature(body.bytes, typeof signature === 'string' ? signature : undefined, appSecret)) {
    return [401, 'Invalid or missing X-Hub-Signature-256'];
  }
  const text = body.bytes.toString('utf8');
  switch (classifyEnvelope(text)) {
    case 'not-json':
      return [400, 'Body is not JSON'];
    case 'invalid':
      return [400, 'Body is not a webhook envelope with an entry list'];
    case 'ignore':
      return [200, 'ignored'];
    case 'store':
      return [200, 'ok', await inbox.accept(text)];
  }
}
