import { connect, type Socket } from 'node:net';
import { QUEUE_NAMES } from '../../src/jobs/queues';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { createOrganization } from '../helpers/fixtures';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function scrape(app: TestApp): Promise<{ contentType: string | null; text: string }> {
  const response = await fetch(`${app.url}/metrics`);
  expect(response.status).toBe(200);
  return { contentType: response.headers.get('content-type'), text: await response.text() };
}

/** The value of one Prometheus sample whose labels include `labels`, or undefined. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const [series, value] = [line.slice(0, line.lastIndexOf(' ')), line.slice(line.lastIndexOf(' ') + 1)];
    if (Object.entries(labels).every(([key, wanted]) => series.includes(`${key}="${wanted}"`))) return Number(value);
  }
  return undefined;
}

/**
 * A GET written byte for byte on a socket: fetch and http.request refuse header values with
 * control characters, which is exactly what a hostile client sends.
 */
function rawGet(app: TestApp, path: string, headerLines: string[]): Promise<{ status: number; headers: Record<string, string> }> {
  const { hostname, port } = new URL(app.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let data = '';
    socket.setTimeout(5000, () => socket.destroy(new Error('no answer within 5 s')));
    socket.on('error', reject);
    socket.on('data', (chunk) => (data += chunk.toString('latin1')));
    socket.on('close', () => {
      const [head = ''] = data.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(
        lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
      );
      resolve({ status: Number(statusLine.split(' ')[1]), headers });
    });
    socket.write([`GET ${path} HTTP/1.1`, `Host: ${hostname}:${port}`, 'Connection: close', ...headerLines, '', ''].join('\r\n'));
  });
}

describe('metrics', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app?.stop());

  it('serves Prometheus text with request, operation, queue and process metrics', async () => {
    const org = await createOrganization(app);
    await app.client(org.ownerKey).request('query ViewerForMetrics { viewer { role } }');

    const { contentType, text } = await scrape(app);
    expect(contentType).toMatch(/^text\/plain;/);
    expect(contentType).toContain('version=0.0.4');
    expect(text).toContain('# TYPE http_request_duration_seconds histogram');
    expect(sample(text, 'http_request_duration_seconds_count', { method: 'POST', route: '/graphql', status: '200' })).toBeGreaterThanOrEqual(2);
    expect(text).toContain('# TYPE graphql_operations_total counter');
    expect(sample(text, 'graphql_operations_total', { type: 'query', name: 'ViewerForMetrics', outcome: 'ok' })).toBe(1);
    expect(sample(text, 'graphql_operations_total', { type: 'mutation', name: 'CreateOrganization', outcome: 'ok' })).toBe(1);
    expect(text).toContain('# TYPE queue_jobs gauge');
    expect(QUEUE_NAMES).toEqual(expect.arrayContaining(['system', 'maintenance']));
    for (const queue of QUEUE_NAMES) expect(sample(text, 'queue_jobs', { queue, state: 'waiting' })).toBeGreaterThanOrEqual(0);
    expect(text).toMatch(/^process_cpu_seconds_total \d/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
  });

  it('counts open file descriptors, one series, following the sockets the process holds', async () => {
    const openFds = (text: string) => Number(/^process_open_fds (\d+)$/m.exec(text)?.[1]);
    const before = await scrape(app);
    expect(before.text.match(/^# TYPE process_open_fds gauge$/gm)).toHaveLength(1);
    expect(openFds(before.text)).toBeGreaterThan(0);

    const { hostname, port } = new URL(app.url);
    const sockets = await Promise.all(
      Array.from({ length: 25 }, () => new Promise<Socket>((resolve, reject) => connect(Number(port), hostname).once('connect', function (this: Socket) { resolve(this); }).once('error', reject))),
    );
    try {
      // Each accepted connection is a descriptor of the app's process (this test runs in it too: both ends count).
      expect(openFds((await scrape(app)).text)).toBeGreaterThanOrEqual(openFds(before.text) + 25);
    } finally {
      for (const socket of sockets) socket.destroy();
    }
  });

  it('counts failed operations apart from successful ones', async () => {
    const org = await createOrganization(app, 'Metrics');
    await app.post({ query: 'query MissingForMetrics { channel(id: "nope") { id } }' }, { authorization: `Bearer ${org.ownerKey}` });
    await app.post({ query: 'query InvalidForMetrics { noSuchField }' });
    const { text } = await scrape(app);
    expect(sample(text, 'graphql_operations_total', { type: 'query', name: 'MissingForMetrics', outcome: 'error' })).toBe(1);
    // A document that fails validation never resolves to an operation: counted, without its name.
    expect(sample(text, 'graphql_operations_total', { type: 'unknown', outcome: 'error' })).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain('InvalidForMetrics');
  });

  it('labels unknown paths with a fixed route so clients cannot create series', async () => {
    await fetch(`${app.url}/random-${Date.now()}`);
    const { text } = await scrape(app);
    expect(sample(text, 'http_request_duration_seconds_count', { route: 'other', status: '404' })).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain('random-');
  });
});

describe('CORS', () => {
  const ALLOWED = 'https://app.example.com';
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ CORS_ORIGINS: ALLOWED });
  });
  afterAll(() => app?.stop());

  const preflight = (origin: string) =>
    fetch(`${app.url}/graphql`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' },
    });

  it('answers a preflight from an allowed origin', async () => {
    const response = await preflight(ALLOWED);
    expect(response.status).toBeLessThan(300);
    expect(response.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
    expect(response.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
  });

  it('gives no Access-Control-Allow-Origin to another origin', async () => {
    const response = await preflight('https://evil.example.net');
    expect(response.status).toBeLessThan(500);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('marks an allowed POST for the browser, and varies the response by origin', async () => {
    const response = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { origin: ALLOWED, 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(response.headers.get('vary')?.toLowerCase()).toContain('origin');
  });

  it('allows no origin at all when CORS_ORIGINS is empty', async () => {
    const closed = await startTestApp();
    try {
      const response = await fetch(`${closed.url}/graphql`, {
        method: 'OPTIONS',
        headers: { origin: ALLOWED, 'access-control-request-method': 'POST' },
      });
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await closed.stop();
    }
  });
});

describe('X-Request-Id', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app?.stop());

  const requestId = async (incoming?: string) => {
    const response = await fetch(`${app.url}/health/live`, { headers: incoming === undefined ? {} : { 'x-request-id': incoming } });
    return response.headers.get('x-request-id');
  };

  it('echoes a sane incoming id', async () => {
    expect(await requestId('req-42.a:b_C')).toBe('req-42.a:b_C');
  });

  it('generates one when none is sent', async () => {
    expect(await requestId()).toMatch(UUID);
  });

  it.each([
    ['500 characters long', 'a'.repeat(500)],
    ['containing spaces and quotes', 'a b "c"'],
    ['containing HTML', '<script>alert(1)</script>'],
    ['empty', ''],
  ])('replaces an id %s', async (_what, incoming) => {
    expect(await requestId(incoming)).toMatch(UUID);
  });

  it.each([
    ['a folded (multi-line) id', ['X-Request-Id: first', ' injected: yes']],
    ['an id with a bare line feed', ['X-Request-Id: abc\ninjected: yes']],
    ['an id with a control character', ['X-Request-Id: abc\u0001def']],
  ])('never echoes %s', async (_what, headerLines) => {
    const response = await rawGet(app, '/health/live', headerLines);
    // Node's parser refuses these with 400 before the app sees them (so no id is echoed at all);
    // should a lenient parser ever let one through, the app must still answer with a fresh id.
    expect([200, 400]).toContain(response.status);
    if (response.status === 200) expect(response.headers['x-request-id']).toMatch(UUID);
    else expect(response.headers['x-request-id']).toBeUndefined();
    expect(response.headers.injected).toBeUndefined();
  });

  it('tags the request log line with the id', async () => {
    await requestId('trace-me-123');
    await app.post({ query: '{ __typename }' }, { 'x-request-id': 'trace-me-456' });
    expect(app.logs.some((line) => line.includes('"requestId":"trace-me-456"') && line.includes('"path":"/graphql"'))).toBe(true);
  });
});
