import net, { type AddressInfo, type Server } from 'node:net';
import { GraphApiClient } from '../../src/meta/graph-api.client';
import { GraphApiError, GraphUnknownOutcomeError, GraphUnreachableError } from '../../src/meta/graph-api.errors';
import { MAX_ANSWER_BYTES } from '../../src/meta/http-transport';

/**
 * The Graph API client over the wire, against raw TCP servers that misbehave the ways a network
 * does: how each failure is classified decides whether a message may be sent again.
 */

const BODY = { messaging_product: 'whatsapp', to: '5511988887777', type: 'text', text: { body: 'hi' } };

/** A TCP server whose connections `onConnection` handles byte by byte. */
async function rawServer(onConnection: (socket: net.Socket) => void): Promise<{ server: Server; url: string }> {
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v25.0` };
}

const sockets = new Set<net.Socket>();

/** Closes the server and every connection the client kept alive. */
const close = (server: Server) =>
  new Promise((resolve) => {
    server.close(resolve);
    for (const socket of sockets) socket.destroy();
  });

/** Reads the request head and body, then runs `answer`. */
const afterRequest = (answer: (socket: net.Socket) => void) => (socket: net.Socket) => {
  let seen = '';
  socket.on('data', (chunk) => {
    seen += chunk.toString();
    if (!seen.includes('"hi"}}')) return;
    seen = '';
    answer(socket);
  });
  socket.on('error', () => undefined);
};

describe('Graph API client transport', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map(close));
  });

  it('reads a complete answer: the wamid of a 200, keeping the connection for the next request', async () => {
    let connections = 0;
    const { server, url } = await rawServer((socket) => {
      connections += 1;
      afterRequest((s) => {
        const body = JSON.stringify({ messaging_product: 'whatsapp', messages: [{ id: 'wamid.ONE' }] });
        s.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      })(socket);
    });
    servers.push(server);
    const client = new GraphApiClient({ baseUrl: url, timeoutMs: 2000 });
    await expect(client.sendMessage('123', 'token', BODY)).resolves.toEqual({ wamid: 'wamid.ONE', messageStatus: null });
    await expect(client.sendMessage('123', 'token', BODY)).resolves.toEqual({ wamid: 'wamid.ONE', messageStatus: null });
    expect(connections).toBe(1);
  });

  it('an answer cut off mid-body is an unknown outcome, not a failure to send', async () => {
    const { server, url } = await rawServer(
      afterRequest((socket) => {
        socket.end('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 200\r\n\r\n{"messages":[{"id":"wam');
      }),
    );
    servers.push(server);
    const client = new GraphApiClient({ baseUrl: url, timeoutMs: 2000 });
    await expect(client.sendMessage('123', 'token', BODY)).rejects.toBeInstanceOf(GraphUnknownOutcomeError);
  });

  it('no answer within the timeout is an unknown outcome', async () => {
    const { server, url } = await rawServer(afterRequest(() => undefined));
    servers.push(server);
    const client = new GraphApiClient({ baseUrl: url, timeoutMs: 300 });
    const error = await client.sendMessage('123', 'token', BODY).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GraphUnknownOutcomeError);
    expect((error as Error).message).toContain('no answer within 300 ms');
  });

  it('a connection closed after the request, without an answer, is an unknown outcome', async () => {
    const { server, url } = await rawServer(afterRequest((socket) => socket.destroy()));
    servers.push(server);
    const client = new GraphApiClient({ baseUrl: url, timeoutMs: 2000 });
    await expect(client.sendMessage('123', 'token', BODY)).rejects.toBeInstanceOf(GraphUnknownOutcomeError);
  });

  it('an answer larger than the limit is refused without being buffered: an unknown outcome', async () => {
    const { server, url } = await rawServer(
      afterRequest((socket) => {
        const size = MAX_ANSWER_BYTES + 1024 * 1024;
        socket.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${size}\r\n\r\n`);
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        for (let sent = 0; sent < size && !socket.destroyed; sent += chunk.length) socket.write(chunk);
      }),
    );
    servers.push(server);
    const client = new GraphApiClient({ baseUrl: url, timeoutMs: 10_000 });
    const error = await client.sendMessage('123', 'token', BODY).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GraphUnknownOutcomeError);
    expect((error as Error).message).toContain('larger than');
  });

  it('a refused connection is unreachable: nothing was sent, so it is safe to try again', async () => {
    const { server, url } = await rawServer(() => undefined);
    await close(server); // the port is free again: connecting is refused
    const client = new GraphApiClient({ baseUrl: url, timeoutMs: 2000 });
    const error = await client.sendMessage('123', 'token', BODY).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GraphUnreachableError);
  });

  it("an error answer with a body that is not JSON keeps Meta's HTTP status", async () => {
    const { server, url } = await rawServer(
      afterRequest((socket) => {
        socket.write('HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/html\r\ncontent-length: 11\r\n\r\n<html></ht>');
      }),
    );
    servers.push(server);
    const client = new GraphApiClient({ baseUrl: url, timeoutMs: 2000 });
    const error = await client.sendMessage('123', 'token', BODY).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GraphApiError);
    expect((error as GraphApiError).httpStatus).toBe(503);
  });

  it('a base URL that is not http or https is refused when the client is made', () => {
    expect(() => new GraphApiClient({ baseUrl: 'ftp://127.0.0.1/v25.0' })).toThrow('must be http(s)');
    expect(() => new GraphApiClient({ baseUrl: 'not a url' })).toThrow();
  });
});
