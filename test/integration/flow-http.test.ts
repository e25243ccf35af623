import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performFlowHttp, type FlowHttpRequest } from '../../src/services/flows/flow-http.service';

/**
 * A flow's HTTP node request as the worker performs it, against real local servers: what a
 * tenant's flow may reach, and what a hostile endpoint can do to the worker.
 */

interface Seen {
  paths: string[];
}

async function serve(handler: http.RequestListener): Promise<{ server: Server; port: number; seen: Seen }> {
  const seen: Seen = { paths: [] };
  const server = http.createServer((req, res) => {
    seen.paths.push(req.url ?? '');
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, seen };
}

const request = (url: string, overrides: Partial<FlowHttpRequest> = {}): FlowHttpRequest => ({ method: 'GET', url, headers: {}, body: null, timeoutMs: 2000, ...overrides });

describe('flow HTTP node requests', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('sends the body as JSON and parses a JSON answer', async () => {
    const { server, port } = await serve((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ echoed: JSON.parse(body), type: req.headers['content-type'] })));
    });
    servers.push(server);
    const outcome = await performFlowHttp(request(`http://127.0.0.1:${port}/orders`, { method: 'post', body: { id: 42 } }), true);
    expect(outcome).toEqual({ ok: true, status: 200, body: { echoed: { id: 42 }, type: 'application/json' } });
  });

  it.each([
    ['a loopback address', (port: number) => `http://127.0.0.1:${port}/x`],
    ['a name that resolves to loopback', (port: number) => `http://localhost:${port}/x`],
    ['an IPv4-mapped IPv6 loopback address', (port: number) => `http://[::ffff:127.0.0.1]:${port}/x`],
  ])('refuses %s without connecting', async (_label, url) => {
    const { server, port, seen } = await serve((_req, res) => res.end('{}'));
    servers.push(server);
    expect(await performFlowHttp(request(url(port)), false)).toEqual({ ok: false, error: 'private and loopback addresses are not allowed' });
    expect(seen.paths).toEqual([]);
  });

  it('reads no more than 256 KB of an endless answer and keeps it as text', async () => {
    let written = 0;
    const { server, port } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      const pump = () => {
        while (written < 64 * 1024 * 1024 && !res.destroyed) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    servers.push(server);
    const outcome = await performFlowHttp(request(`http://127.0.0.1:${port}/big`), true);
    expect(outcome.ok).toBe(true);
    expect(((outcome as { body: string }).body as string).length).toBe(256 * 1024);
    // The worker stopped reading: the server did not get to write its 64 MB.
    expect(written).toBeLessThan(16 * 1024 * 1024);
  });

  it('does not follow redirects: a 3xx fails like any other status', async () => {
    const { server, port, seen } = await serve((req, res) => {
      if (req.url === '/moved') return void res.writeHead(302, { location: '/secret' }).end();
      res.end('{"secret":true}');
    });
    servers.push(server);
    expect(await performFlowHttp(request(`http://127.0.0.1:${port}/moved`), true)).toEqual({ ok: false, error: 'HTTP 302' });
    expect(seen.paths).toEqual(['/moved']);
  });

  it('gives up after the timeout', async () => {
    const { server, port } = await serve(() => undefined);
    servers.push(server);
    expect(await performFlowHttp(request(`http://127.0.0.1:${port}/slow`, { timeoutMs: 200 }), true)).toEqual({ ok: false, error: 'timed out' });
  });

  it.each([
    ['not a URL', 'not a url', 'invalid URL'],
    ['another scheme', 'file:///etc/passwd', 'only http and https URLs are allowed'],
  ])('refuses %s', async (_label, url, error) => {
    expect(await performFlowHttp(request(url), false)).toEqual({ ok: false, error });
  });

  it('refuses a header value with a line break (request smuggling) as a failure, not a crash, sending nothing', async () => {
    const { server, port, seen } = await serve((_req, res) => res.end('{}'));
    servers.push(server);
    const outcome = await performFlowHttp(request(`http://127.0.0.1:${port}/x`, { headers: { 'x-evil': 'a\r\nhost: internal' } }), true);
    expect(outcome.ok).toBe(false);
    expect(seen.paths).toEqual([]);
  });
});
