import type { Logger } from 'pino';
import type { Viewer } from '../auth/viewer';

declare global {
  namespace Express {
    interface Request {
      /** Correlates logs of this request and of the jobs it enqueues. */
      id: string;
      log: Logger;
      /** Set on /graphql by the authentication middleware; null for anonymous callers. */
      viewer?: Viewer | null;
    }
  }
}

export {};
