import { once } from 'node:events';
import { Router, type Request, type Response } from 'express';
import type { Authenticator } from '../auth/authenticator';
import { tenantEm } from '../db/entity-manager';
import type { Orm } from '../db/orm';
import { AppError, ErrorCode } from '../domain/errors';
import { requireConversation, transcriptPages } from '../services/analytics/transcript/transcript.service';
import { transcriptLine } from '../services/analytics/transcript/transcript-entry';
import { graphqlAuth } from './graphql-auth.middleware';
import type { RequestRateLimiter } from './rate-limit';

export const TRANSCRIPT_EXPORT_PATH = '/analytics/conversations/:id/transcript.jsonl';

interface TranscriptExportOptions {
  orm: Orm;
  /** The same credentials and per-credential rate limit as /graphql. */
  authenticator: Authenticator;
  rateLimiter: RequestRateLimiter;
}

const refuse = (res: Response, status: number, code: ErrorCode, message: string, field?: string) =>
  res.status(status).json({ errors: [{ message, extensions: { code, ...(field ? { field } : {}) } }] });

/**
 * A conversation's transcript as JSON lines (one transcript entry per line, as conversationTranscript
 * returns them, without empty fields). The log is read a page at a time and each page written
 * before the next is read, waiting for the client to drain: memory stays flat whatever the size.
 */
async function exportTranscript(req: Request, res: Response, options: TranscriptExportOptions) {
  const viewer = req.viewer;
  if (!viewer) {
    res.setHeader('WWW-Authenticate', 'Bearer');
    return refuse(res, 401, ErrorCode.UNAUTHENTICATED, 'Missing or invalid credentials');
  }
  if (viewer.kind !== 'member') return refuse(res, 403, ErrorCode.FORBIDDEN, 'Transcripts belong to an organization: use a member credential');
  const conversationId = String(req.params.id);
  const em = tenantEm(options.orm, viewer.organizationId);
  try {
    await requireConversation(em, viewer.organizationId, conversationId, 'id');
  } catch (error) {
    if (error instanceof AppError && error.code === ErrorCode.NOT_FOUND) return refuse(res, 404, ErrorCode.NOT_FOUND, error.message, 'id');
    throw error;
  }

  res.status(200);
  res.setHeader('Content-Type', 'application/x-ndjson; charset=utf-8');
  res.setHeader('Content-Disposition', `attachment; filename="transcript-${conversationId}.jsonl"`);
  res.setHeader('Cache-Control', 'no-store');
  let aborted = false;
  res.on('close', () => {
    aborted = !res.writableFinished;
  });
  try {
    for await (const entries of transcriptPages(em, viewer.organizationId, conversationId)) {
      if (aborted) return;
      const chunk = entries.map((entry) => `${transcriptLine(entry)}\n`).join('');
      if (!res.write(chunk)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
    }
    res.end();
  } catch (error) {
    // Headers are gone: cutting the response short is the only honest signal left.
    req.log.error({ err: error, conversationId }, 'transcript export failed');
    res.destroy();
  }
}

/** GET /analytics/conversations/:id/transcript.jsonl */
export function transcriptExportRoutes(options: TranscriptExportOptions): Router {
  const router = Router();
  router.get(TRANSCRIPT_EXPORT_PATH, graphqlAuth(options.authenticator, options.rateLimiter), (req, res, next) => {
    exportTranscript(req, res, options).catch(next);
  });
  return router;
}
