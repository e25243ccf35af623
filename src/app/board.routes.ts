import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { Router } from 'express';
import type { JobQueues } from '../jobs/job-queues';
import { basicAuth } from './basic-auth.middleware';

export const BOARD_PATH = '/admin/queues';

/** bull-board for operators, behind HTTP Basic (user admin, password ADMIN_TOKEN). */
export function boardRoutes(queues: JobQueues, adminToken: string): Router {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(BOARD_PATH);
  createBullBoard({
    queues: queues.all().map((queue) => new BullMQAdapter(queue)),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'WhatsApp backend jobs' } },
  });
  const router = Router();
  router.use(BOARD_PATH, basicAuth(adminToken, 'Job board'), serverAdapter.getRouter());
  return router;
}
