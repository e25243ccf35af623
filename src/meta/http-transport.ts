import http from 'node:http';
import https from 'node:https';

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
 */
const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 256 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 256 }),
};

/**
 * The largest answer read. Graph API answers are small (a page of 100 templates is a few hundred
 * KB); a larger one is a broken or hostile server, and is not buffered into memory.
 */
export const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

/** A request whose whole answer (head and body) must arrive within `timeoutMs`. */
export function httpRequest(url: URL, method: string, headers: Record<string, string>, body: string | undefined, timeoutMs: number): Promise<HttpAnswer> {
  const protocol = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : null;
  if (!protocol) return Promise.reject(new HttpTransportError(`unsupported protocol ${url.protocol}`, null, false));
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: HttpTransportError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      reject(error);
    };
    const request = protocol.request(
      url,
      {
        method,
        agent: agents[url.protocol as keyof typeof agents],
        headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_ANSWER_BYTES) fail(new HttpTransportError(`the answer is larger than ${MAX_ANSWER_BYTES} bytes`, null, false));
          else chunks.push(chunk);
        });
        response.on('error', (error: NodeJS.ErrnoException) => fail(new HttpTransportError(error.message, error.code ?? null, false)));
        response.on('close', () => {
          if (!response.complete) fail(new HttpTransportError('the connection closed before the whole answer arrived', 'ECONNRESET', false));
        });
        response.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
        });
      },
    );
    const timer = setTimeout(() => fail(new HttpTransportError(`no answer within ${timeoutMs} ms`, null, true)), timeoutMs);
    request.on('error', (error: NodeJS.ErrnoException) => fail(new HttpTransportError(error.message, error.code ?? null, false)));
    request.end(body);
  });
}
