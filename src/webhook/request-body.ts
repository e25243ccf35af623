import type { IncomingMessage } from 'node:http';
import type { Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';

/** The body, or the answer to give instead; `gone` when the client left before sending it all. */
export type BodyResult =
  | { kind: 'body'; bytes: Buffer }
  | { kind: 'refused'; status: 400 | 413 | 415; message: string }
  | { kind: 'gone' };

const DECODERS: Record<string, () => Transform> = {
  gzip: createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
};

const EMPTY: BodyResult = { kind: 'body', bytes: Buffer.alloc(0) };

/**
 * Reads a request body of at most `limit` bytes after decoding (so a gzip bomb is cut off at the
 * limit, not inflated in full), the way body-parser's raw parser did for this route. A refusal is
 * returned only once the request has been read off, so the client gets the answer rather than a
 * connection reset while it is still uploading.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  const headers = req.headers;
  // No length and not chunked: HTTP says there is no body, and a decoder would fail on nothing.
  if (headers['content-length'] === undefined && headers['transfer-encoding'] === undefined) return Promise.resolve(EMPTY);
  const encoding = (headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding === 'identity' && Number(headers['content-length']) > limit) return drainThen(req, tooLarge());
  const decoder = encoding === 'identity' ? null : DECODERS[encoding];
  if (decoder === undefined) return drainThen(req, { kind: 'refused', status: 415, message: `Unsupported Content-Encoding "${encoding}"` });

  return new Promise((resolve) => {
    const decoding = decoder ? req.pipe(decoder()) : null;
    const source = decoding ?? req;
    const chunks: Buffer[] = [];
    let length = 0;
    let settled = false;
    const finish = (result: BodyResult) => {
      if (settled) return;
      settled = true;
      if (decoding) {
        req.unpipe(decoding);
        decoding.on('error', () => undefined);
        decoding.destroy();
      }
      if (result.kind === 'refused' && !req.complete) void drainThen(req, result).then(resolve);
      else resolve(result);
    };
    source.on('data', (chunk: Buffer) => {
      if (settled) return; // being drained
      length += chunk.length;
      if (length > limit) return finish(tooLarge());
      chunks.push(chunk);
    });
    source.once('end', () => finish({ kind: 'body', bytes: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length) }));
    decoding?.once('error', () => finish({ kind: 'refused', status: 400, message: `Body is not valid ${encoding}` }));
    req.once('error', () => finish({ kind: 'gone' }));
    req.once('close', () => {
      if (!req.complete) finish({ kind: 'gone' });
    });
  });
}

const tooLarge = (): BodyResult => ({ kind: 'refused', status: 413, message: 'Request body is too large' });

/** Reads the rest of the request and discards it, then gives `result` (or `gone` if the client left). */
function drainThen(req: IncomingMessage, result: BodyResult): Promise<BodyResult> {
  if (req.complete) return Promise.resolve(result);
  return new Promise((resolve) => {
    req.on('end', () => resolve(result));
    req.on('error', () => resolve({ kind: 'gone' }));
    req.on('close', () => resolve(req.complete ? result : { kind: 'gone' }));
    req.resume();
  });
}
