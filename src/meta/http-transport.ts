import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';

export interface HttpAnswer {
  status: number;
  text: string;
}

/** Why a request failed without an answer; `code` is the socket error's (ECONNREFUSED, ...). */
export class HttpTransportError extends Error {
  constructor(
    message: string,
    readonly code: string | null,
    readonly timedOut: boolean,
  ) {
    super(message);
    this.name = 'HttpTransportError';
  }
}

/**
 * One keep-alive connection pool per protocol, shared by every channel: the Graph API is one host.
 * node:http rather than fetch: a send is the hot path of every reply, and for these small JSON
 * bodies fetch cost about 330 µs of CPU per request on this machine against 80 µs for node:http
 * (a local server's share included in both).
 *
 * An idle pooled connection is closed after FREE_SOCKET_MS, before the server closes it: a request
 * written just as the server closes its idle end fails with ECONNRESET, and as nobody can tell
 * whether Meta read it, the send's outcome would be unknown and the message would wait for its
 * status webhook. Node's own server closes idle connections after 5 s; most servers wait longer.
 */
const FREE_SOCKET_MS = 4_000;
const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 256, timeout: FREE_SOCKET_MS }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 256, timeout: FREE_SOCKET_MS }),
};

/**
 * The largest answer read. Graph API answers are small (a page of 100 templates is a few hundred
 * KB); a larger one is a broken or hostile server, and is not buffered into memory.
 */
export const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

export interface HttpRequestOptions {
  method: string;
  headers: Record<string, string>;
  body?: string;
  /** For the whole answer, head and body. */
  timeoutMs: number;
  /** Default MAX_ANSWER_BYTES. */
  maxBytes?: number;
  /** Past `maxBytes`: fail (the default), or keep the first `maxBytes` and stop reading. */
  oversize?: 'fail' | 'truncate';
  /**
   * Resolves the host name (dns.lookup's contract), so a guard can refuse the addresses it
   * resolves to; the connection then goes to the address it allowed. Such requests get a fresh
   * connection each, never one from the shared pool.
   */
  lookup?: LookupFunction;
}

/** A request whose whole answer must arrive within `timeoutMs`; refuses protocols other than http(s). */
export function httpRequest(url: URL, options: HttpRequestOptions): Promise<HttpAnswer> {
  const protocol = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : null;
  if (!protocol) return Promise.reject(new HttpTransportError(`unsupported protocol ${url.protocol}`, null, false));
  const { body, timeoutMs } = options;
  const maxBytes = options.maxBytes ?? MAX_ANSWER_BYTES;
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: HttpTransportError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      reject(error);
    };
    const succeed = (status: number, chunks: Buffer[]) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ status, text: Buffer.concat(chunks).toString('utf8') });
    };
    const request = protocol.request(
      url,
      {
        method: options.method,
        agent: options.lookup ? false : agents[url.protocol as keyof typeof agents],
        lookup: options.lookup,
        headers: body === undefined ? options.headers : { ...options.headers, 'content-length': String(Buffer.byteLength(body)) },
      },
      (response) => {
        const status = response.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          if (settled) return;
          if (size + chunk.length <= maxBytes) {
            size += chunk.length;
            chunks.push(chunk);
          } else if (options.oversize === 'truncate') {
            chunks.push(chunk.subarray(0, maxBytes - size));
            succeed(status, chunks);
            request.destroy();
          } else {
            fail(new HttpTransportError(`the answer is larger than ${maxBytes} bytes`, null, false));
          }
        });
        response.on('error', (error: NodeJS.ErrnoException) => fail(new HttpTransportError(error.message, error.code ?? null, false)));
        response.on('close', () => {
          if (!response.complete) fail(new HttpTransportError('the connection closed before the whole answer arrived', 'ECONNRESET', false));
        });
        response.on('end', () => succeed(status, chunks));
      },
    );
    const timer = setTimeout(() => fail(new HttpTransportError(`no answer within ${timeoutMs} ms`, null, true)), timeoutMs);
    request.on('error', (error: NodeJS.ErrnoException) => fail(new HttpTransportError(error.message, error.code ?? null, false)));
    request.end(body);
  });
}
