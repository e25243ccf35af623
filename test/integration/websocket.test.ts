import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { createOrganization } from '../helpers/fixtures';
import { startTestApp, type TestApp } from '../helpers/test-app';

/** graphql-ws close codes (its protocol's CloseCode). */
const BAD_REQUEST = 4400;
const UNAUTHORIZED = 4401;
const FORBIDDEN = 4403;

const WAIT_MS = 10_000;

function withDeadline<T>(what: string, promise: Promise<T>): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`Timed out waiting for ${what}`)), WAIT_MS).unref()),
  ]);
}

describe('GraphQL over WebSocket (graphql-ws)', () => {
  let app: TestApp;
  let ownerKey: string;
  let wsUrl: string;
  const clients: Client[] = [];
  const sockets: WebSocket[] = [];

  beforeAll(async () => {
    app = await startTestApp();
    ownerKey = (await createOrganization(app, 'Socket Co')).ownerKey;
    wsUrl = `${app.url.replace(/^http/, 'ws')}/graphql`;
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.dispose()));
    for (const socket of sockets.splice(0)) socket.terminate();
  });
  afterAll(() => app?.stop());

  /** A graphql-ws client that connects at once and never retries, plus the code it was closed with. */
  function connect(connectionParams?: Record<string, unknown>) {
    let closedWith: (code: number) => void;
    const closed = new Promise<number>((resolve) => (closedWith = resolve));
    const client = createClient({
      url: wsUrl,
      webSocketImpl: WebSocket,
      lazy: false,
      retryAttempts: 0,
      connectionParams,
      // Rejections are the point of most tests here; they are read from `closed`, not printed.
      onNonLazyError: () => undefined,
      on: { closed: (event) => closedWith((event as { code: number }).code) },
    });
    clients.push(client);
    return { client, closed: withDeadline('the socket to close', closed) };
  }

  function query<T>(client: Client, source: string): Promise<{ data?: T; errors?: unknown }> {
    return withDeadline(
      'the query result',
      new Promise((resolve, reject) => {
        let result: { data?: T; errors?: unknown } = {};
        client.subscribe<T>({ query: source }, { next: (value) => (result = value as typeof result), error: reject, complete: () => resolve(result) });
      }),
    );
  }

  /** A raw socket speaking the graphql-ws subprotocol, for messages a well-behaved client never sends. */
  async function rawSocket(): Promise<{ socket: WebSocket; closed: Promise<number> }> {
    const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
    sockets.push(socket);
    const closed = withDeadline('the socket to close', new Promise<number>((resolve) => socket.once('close', (code) => resolve(code))));
    await withDeadline('the socket to open', new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject)));
    return { socket, closed };
  }

  it('runs a query for a valid API key given in connection_init', async () => {
    const { client } = connect({ authorization: `Bearer ${ownerKey}` });
    expect(await query(client, '{ viewer { role } }')).toEqual({ data: { viewer: { role: 'OWNER' } } });
  });

  it('closes with 4401 when connection_init has no authorization', async () => {
    expect(await connect().closed).toBe(UNAUTHORIZED);
    expect(await connect({}).closed).toBe(UNAUTHORIZED);
  });

  it('closes with 4403 for a wrong API key', async () => {
    // A real key's prefix with another secret: found by prefix, refused by hash.
    const wrongSecret = `${ownerKey.slice(0, -1)}${ownerKey.endsWith('A') ? 'B' : 'A'}`;
    expect(await connect({ authorization: `Bearer ${wrongSecret}` }).closed).toBe(FORBIDDEN);
    expect(await connect({ authorization: 'Bearer not-a-key' }).closed).toBe(FORBIDDEN);
  });

  it('closes with 4401 when a subscribe comes before connection_init', async () => {
    const { socket, closed } = await rawSocket();
    socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: '{ viewer { role } }' } }));
    expect(await closed).toBe(UNAUTHORIZED);
  });

  it('closes with 4400 on a malformed protocol message', async () => {
    const { socket, closed } = await rawSocket();
    socket.send('{"type":"connection_init","payload":{"authorization":');
    expect(await closed).toBe(BAD_REQUEST);

    const second = await rawSocket();
    second.socket.send(JSON.stringify({ type: 'no-such-message' }));
    expect(await second.closed).toBe(BAD_REQUEST);
  });

  it('keeps serving other clients after rejecting bad ones', async () => {
    const bad = [connect(), connect({ authorization: 'Bearer wrong' })];
    const good = connect({ authorization: `Bearer ${ownerKey}` });
    expect(await Promise.all(bad.map((attempt) => attempt.closed))).toEqual([UNAUTHORIZED, FORBIDDEN]);
    expect(await query(good.client, '{ viewer { role } }')).toEqual({ data: { viewer: { role: 'OWNER' } } });
    const response = await app.client(ownerKey).request<{ viewer: { role: string } }>('{ viewer { role } }');
    expect(response.viewer.role).toBe('OWNER');
  });
});
