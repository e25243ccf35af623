import express, { Router, type Request, type Response } from 'express';
import type { DeliveryInbox } from '../services/delivery-inbox';
import { isValidSignature } from '../meta/webhook-signature';
import { KNOWN_FIELDS, WHATSAPP_OBJECT } from '../meta/webhook-payload';

export const WEBHOOK_PATH = '/webhooks/meta';

/** Meta sends at most 3 MB; a little headroom, and anything larger is refused with 413. */
export const WEBHOOK_BODY_LIMIT = 4 * 1024 * 1024;

interface WebhookOptions {
  appSecret: string;
  verifyToken: string;
  inbox: DeliveryInbox;
}

const reject = (res: Response, status: number, message: string) => res.status(status).type('text/plain').send(message);

/** Which of Meta's envelopes we store: a WhatsApp delivery with at least one change we handle. */
/** Meta's payloads nest about eight levels; far deeper is hostile and would overflow recursive parsers later. */
const MAX_DEPTH = 32;

function depthExceeds(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [item, depth] = stack.pop()!;
    if (!item || typeof item !== 'object') continue;
    if (depth > limit) return true;
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return false;
}

function classify(body: unknown): 'invalid' | 'ignore' | 'store' {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return 'invalid';
  if (depthExceeds(body, MAX_DEPTH)) return 'invalid';
  const envelope = body as { object?: unknown; entry?: unknown };
  if (!Array.isArray(envelope.entry)) return 'invalid';
  if (envelope.object !== WHATSAPP_OBJECT) return 'ignore';
  const handled = envelope.entry.some(
    (entry) =>
      Array.isArray((entry as { changes?: unknown })?.changes) &&
      (entry as { changes: { field?: unknown }[] }).changes.some((change) => KNOWN_FIELDS.has(String(change?.field))),
  );
  return handled ? 'store' : 'ignore';
}

/**
 * The Meta webhook. The POST handler is thin on purpose: verify the signature over the raw bytes,
 * make the delivery durable, enqueue, answer. Processing happens in the webhook worker.
 */
export function metaWebhookRoutes(options: WebhookOptions): Router {
  const router = Router();

  router.get(WEBHOOK_PATH, (req: Request, res: Response) => {
    const mode = req.query['hub.mode'];
    const token = req.query['hub.verify_token'];
    const challenge = req.query['hub.challenge'];
    if (mode === 'subscribe' && token === options.verifyToken && typeof challenge === 'string') {
      return res.status(200).type('text/plain').send(challenge);
    }
    return reject(res, 403, 'Verification failed');
  });

  router.post(
    WEBHOOK_PATH,
    express.raw({ type: () => true, limit: WEBHOOK_BODY_LIMIT }),
    async (req: Request, res: Response) => {
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      if (!isValidSignature(raw, req.get('x-hub-signature-256'), options.appSecret)) {
        return reject(res, 401, 'Invalid or missing X-Hub-Signature-256');
      }
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        return reject(res, 400, 'Body is not JSON');
      }
      const verdict = classify(body);
      if (verdict === 'invalid') return reject(res, 400, 'Body is not a webhook envelope with an entry list');
      if (verdict === 'ignore') return res.status(200).type('text/plain').send('ignored');
      try {
        const id = await options.inbox.accept(raw.toString('utf8'));
        req.log.debug({ deliveryId: id }, 'webhook delivery stored');
        return res.status(200).type('text/plain').send('ok');
      } catch (error) {
        // Not durable, so not acknowledged: Meta retries on anything but 200.
        req.log.error({ err: error }, 'could not store webhook delivery');
        return reject(res, 503, 'Temporarily unavailable');
      }
    },
  );
  return router;
}
