import { Router, type Request, type Response } from 'express';

export const WEBHOOK_PATH = '/webhooks/meta';

/** Meta sends at most 3 MB; a little headroom, and anything larger is refused with 413. */
export const WEBHOOK_BODY_LIMIT = 4 * 1024 * 1024;

/**
 * The verification handshake Meta performs when the webhook is configured. Deliveries
 * (`POST /webhooks/meta`) never reach Express: see meta-webhook.listener.ts.
 */
export function metaWebhookRoutes(options: { verifyToken: string }): Router {
  const router = Router();
  router.get(WEBHOOK_PATH, (req: Request, res: Response) => {
    const mode = req.query['hub.mode'];
    const token = req.query['hub.verify_token'];
    const challenge = req.query['hub.challenge'];
    if (mode === 'subscribe' && token === options.verifyToken && typeof challenge === 'string') {
      return res.status(200).type('text/plain').send(challenge);
    }
    return res.status(403).type('text/plain').send('Verification failed');
  });
  return router;
}
