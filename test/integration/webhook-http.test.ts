import { createHmac, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { gzipSync } from 'node:zlib';
import { Client } from 'pg';
import { signBody } from '../../src/meta/webhook-signature';
import { adminQuery } from '../helpers/database';
import { textMessage, messagesEnvelope, wamid, unixSeconds, type ChannelRef } from '../helpers/meta-webhook';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { TEST_SECRETS } from '../helpers/test-env';
import { waitFor } from '../helpers/wait';

/**
 * The HTTP contract of /webhooks/meta: handshake, signature over the raw bytes, size and shape
 * checks, and 503 while PostgreSQL is unreachable. The app runs as api only, so a stored delivery
 * stays a RECEIVED row and the row count tells exactly what the endpoint stored.
 */

const SECRET = TEST_SECRETS.META_APP_SECRET;
/** No channel has this number: the HTTP layer does not care, and nothing is processed here anyway. */
const CHANNEL: ChannelRef = { phoneNumberId: '106540352242922', wabaId: '102290129340398', displayPhoneNumber: '+1 555 010 0000' };

interface Reply {
  status: number;
  type: string;
  text: string;
}

/** A raw POST: the body goes out byte for byte, signed over those bytes unless told otherwise. */
interface PostOptions {
  /** Default: the right signature for `body`; null sends none. */
  signature?: string | null;
  contentType?: string;
  headers?: Record<string, string>;
}

async function post(app: TestApp, body: string | Buffer, options: PostOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { 'content-type': options.contentType ?? 'application/json', ...options.headers };
  const signature = options.signature === undefined ? signBody(body, SECRET) : options.signature;
  if (signature !== null) headers['x-hub-signature-256'] = signature;
  const response = await fetch(`${app.url}/webhooks/meta`, { method: 'POST', headers, body, signal: AbortSignal.timeout(15_000) });
  return { status: response.status, type: response.headers.get('content-type') ?? '', text: await response.text() };
}

/**
 * A POST with node:http, for bodies the server refuses before reading them: the answer may come
 * while the upload is still going, so a broken pipe on our side is expected and ignored.
 */
function postOversized(app: TestApp, body: Buffer, chunked: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const url = new URL(`${app.url}/webhooks/meta`);
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-hub-signature-256': signBody(body, SECRET) };
    if (!chunked) headers['content-length'] = String(body.length);
    const req = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers, timeout: 15_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error);
    });
    req.on('timeout', () => req.destroy(new Error('no answer to the oversized POST')));
    if (chunked) {
      // Several writes without a length: the limit must hold while streaming, not only on the header.
      for (let offset = 0; offset < body.length; offset += 256 * 1024) req.write(body.subarray(offset, offset + 256 * 1024));
      req.end();
    } else {
      req.end(body);
    }
  });
}

function handshake(app: TestApp, query: string) {
  return fetch(`${app.url}/webhooks/meta?${query}`).then(async (response) => ({
    status: response.status,
    type: response.headers.get('content-type') ?? '',
    text: await response.text(),
  }));
}

/** Rows in the app's inbox, read over a connection of our own (the app's pool may be broken on purpose). */
async function storedDeliveries(app: TestApp, containing?: string): Promise<number> {
  const client = new Client({ connectionString: app.config.database.url });
  await client.connect();
  try {
    const { rows } = containing
      ? await client.query('select count(*)::int as n from webhook_delivery where strpos(raw_body, $1) > 0', [containing])
      : await client.query('select count(*)::int as n from webhook_delivery');
    return rows[0].n as number;
  } finally {
    await client.end();
  }
}

/** Runs `send` and checks the inbox holds exactly as many rows as before. */
async function expectNothingStored(app: TestApp, send: () => Promise<unknown>) {
  const before = await storedDeliveries(app);
  await send();
  expect(await storedDeliveries(app)).toBe(before);
}

describe('webhook HTTP contract', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({ ROLE: 'api' });
  });
  afterAll(() => app?.stop());

  describe('GET verification handshake', () => {
    const token = encodeURIComponent(TEST_SECRETS.META_VERIFY_TOKEN);

    it('echoes the challenge as text/plain on a match', async () => {
      const reply = await handshake(app, `hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=${token}`);
      expect(reply).toEqual({ status: 200, type: expect.stringMatching(/^text\/plain/), text: '1158201444' });
    });

    it.each([
      ['a wrong token', `hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=wrong`],
      ['a missing token', `hub.mode=subscribe&hub.challenge=1158201444`],
      ['a wrong mode', `hub.mode=unsubscribe&hub.challenge=1158201444&hub.verify_token=${token}`],
      ['a missing challenge', `hub.mode=subscribe&hub.verify_token=${token}`],
      ['a repeated challenge', `hub.mode=subscribe&hub.challenge=1&hub.challenge=2&hub.verify_token=${token}`],
      ['a repeated token', `hub.mode=subscribe&hub.challenge=1&hub.verify_token=${token}&hub.verify_token=${token}`],
    ])('refuses %s with 403', async (_case, query) => {
      const reply = await handshake(app, query);
      expect(reply.status).toBe(403);
      expect(reply.text).not.toContain('1158201444');
    });
  });

  describe('POST signature', () => {
    const body = JSON.stringify(textMessage(CHANNEL, '5511999990001', 'signed'));
    const digest = createHmac('sha256', SECRET).update(body).digest('hex');

    it.each([
      ['missing', null],
      ['not hex', 'sha256=zz'],
      ['not hex, full length', `sha256=${'z'.repeat(64)}`],
      ['another algorithm', `md5=${createHmac('md5', SECRET).update(body).digest('hex')}`],
      ['the legacy SHA-1 form', `sha1=${createHmac('sha1', SECRET).update(body).digest('hex')}`],
      ['without its prefix', digest],
      ['one digit short', `sha256=${digest.slice(0, 63)}`],
      ['one digit long', `sha256=${digest}0`],
      ['empty', 'sha256='],
      ['made with another secret', signBody(body, 'not-the-app-secret')],
      ['wrong in its last digit', `sha256=${digest.slice(0, 63)}${digest.endsWith('0') ? '1' : '0'}`],
      ['two signatures in one header', `sha256=${digest}, sha256=${digest}`],
    ])('refuses a signature that is %s with 401 and stores nothing', async (_case, signature) => {
      await expectNothingStored(app, async () => {
        expect((await post(app, body, { signature })).status).toBe(401);
      });
    });

    it('refuses a body changed after signing', async () => {
      const tampered = body.replace('signed', 'Signed');
      await expectNothingStored(app, async () => {
        expect((await post(app, tampered, { signature: signBody(body, SECRET) })).status).toBe(401);
      });
    });

    it('checks the signature over the raw bytes: escaped unicode signed as sent is accepted and stored verbatim', async () => {
      // Meta signs its escaped-unicode serialisation; JSON.stringify would write the ä itself.
      const id = wamid();
      const raw = JSON.stringify(textMessage(CHANNEL, '5511999990002', 'Käse 👋', { id })).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
      expect(raw).toContain('K\\u00e4se \\ud83d\\udc4b');

      expect((await post(app, raw)).status).toBe(200);
      const client = new Client({ connectionString: app.config.database.url });
      await client.connect();
      try {
        const { rows } = await client.query('select raw_body from webhook_delivery where strpos(raw_body, $1) > 0', [id]);
        expect(rows.map((row) => row.raw_body)).toEqual([raw]);
      } finally {
        await client.end();
      }
    });

    it('refuses the same content re-serialised, under the signature of the bytes Meta sent', async () => {
      const raw = JSON.stringify(textMessage(CHANNEL, '5511999990003', 'Käse')).replace('ä', '\\u00e4');
      const reserialised = JSON.stringify(JSON.parse(raw));
      expect(reserialised).not.toBe(raw);
      await expectNothingStored(app, async () => {
        expect((await post(app, reserialised, { signature: signBody(raw, SECRET) })).status).toBe(401);
      });
    });
  });

  describe('POST size', () => {
    it('accepts and stores a valid 3 MB delivery', async () => {
      const marker = wamid();
      // 1,000 updates of ~3 KB: Meta's documented maximum in count and in bytes.
      const messages = Array.from({ length: 1000 }, (_, i) => ({
        from: '5511999990004',
        id: i === 0 ? marker : wamid(),
        timestamp: unixSeconds(),
        type: 'text',
        text: { body: `${i} ${'x'.repeat(3000)}` },
      }));
      const raw = JSON.stringify(messagesEnvelope(CHANNEL, { contacts: [{ profile: { name: 'Big' }, wa_id: '5511999990004' }], messages }));
      expect(raw.length).toBeGreaterThan(3_000_000);
      expect(raw.length).toBeLessThan(3_200_000);
      expect((await post(app, raw)).status).toBe(200);
      expect(await storedDeliveries(app, marker)).toBe(1);
    });

    it.each([
      ['with a Content-Length', false],
      ['chunked, without a length', true],
    ])('refuses a correctly signed body over 4 MiB with 413 (%s) and stores nothing', async (_case, chunked) => {
      const body = Buffer.alloc(4 * 1024 * 1024 + 1, ' ');
      body.write(JSON.stringify(textMessage(CHANNEL, '5511999990005', 'too big')));
      await expectNothingStored(app, async () => {
        expect(await postOversized(app, body, chunked)).toBe(413);
      });
    });
  });

  describe('POST shape', () => {
    it.each([
      ['not JSON', 'hello'],
      ['an empty body', ''],
      ['truncated JSON', JSON.stringify(textMessage(CHANNEL, '5511999990006', 'cut')).slice(0, 80)],
      ['a JSON array', JSON.stringify([textMessage(CHANNEL, '5511999990006', 'in an array')])],
      ['JSON null', 'null'],
      ['a JSON string', '"whatsapp_business_account"'],
      ['a JSON number', '42'],
      ['an envelope without entry', JSON.stringify({ object: 'whatsapp_business_account' })],
      ['an envelope whose entry is not a list', JSON.stringify({ object: 'whatsapp_business_account', entry: { id: '1' } })],
      ['an envelope with entry null', JSON.stringify({ object: 'whatsapp_business_account', entry: null })],
    ])('refuses %s with 400 and stores nothing', async (_case, raw) => {
      await expectNothingStored(app, async () => {
        expect((await post(app, raw)).status).toBe(400);
      });
    });

    it.each([
      ['another Meta product', JSON.stringify({ object: 'page', entry: [{ id: '1', time: 1, changes: [{ field: 'feed', value: {} }] }] })],
      ['Instagram, with a messages field', JSON.stringify({ ...textMessage(CHANNEL, '5511999990007', 'ig'), object: 'instagram' })],
      ['an empty entry list', JSON.stringify({ object: 'whatsapp_business_account', entry: [] })],
      [
        'only fields we do not handle',
        JSON.stringify({
          object: 'whatsapp_business_account',
          entry: [{ id: CHANNEL.wabaId, changes: [{ field: 'security', value: { event: 'PIN_CHANGED' } }, { field: 'flows', value: {} }] }],
        }),
      ],
      ['entries without changes', JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: CHANNEL.wabaId }, null, 7] })],
    ])('acknowledges %s with 200 and stores nothing', async (_case, raw) => {
      await expectNothingStored(app, async () => {
        expect((await post(app, raw)).status).toBe(200);
      });
    });
  });

  describe('POST hostile input', () => {
    const nest = (open: string, inner: string, close: string, depth: number) => open.repeat(depth) + inner + close.repeat(depth);
    const envelopeWith = (extra: string) =>
      JSON.stringify(textMessage(CHANNEL, '5511999990008', 'hostile')).replace('"messaging_product"', `"extra":${extra},"messaging_product"`);

    // Every row has all its values: jest would take a missing last argument for a `done` callback.
    const cases: [string, number, string | Buffer, PostOptions][] = [
      ['random bytes, signed', 400, randomBytes(4096), {}],
      ['random bytes, unsigned', 401, randomBytes(4096), { signature: null }],
      ['invalid UTF-8 inside a JSON string', 200, Buffer.concat([Buffer.from('{"object":"whatsapp_business_account","entry":[{"id":"'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}]}')]), {}],
      ['a NUL byte in the body', 400, Buffer.from('{"object":"whatsapp_business_account","entry":[\u0000]}'), {}],
      ['an escaped NUL and a lone surrogate', 200, envelopeWith('"a\\u0000b\\ud800c"'), {}],
      ['arrays nested 10,000 levels', 400, nest('[', '', ']', 10_000), {}],
      ['objects nested 10,000 levels', 400, nest('{"a":', '1', '}', 10_000), {}],
      // Refused up front: deeper than any Meta payload, and it would overflow the processing parser.
      ['a valid envelope carrying 10,000 nested levels', 400, envelopeWith(nest('[', '', ']', 10_000)), {}],
      ['huge numbers', 200, envelopeWith('[123456789012345678901234567890123456789, 1e999999, -1e-999999, 18446744073709551616]'), {}],
      ['a huge number as the WABA id', 200, JSON.stringify(textMessage(CHANNEL, '5511999990009', 'n')).replace(`"id":"${CHANNEL.wabaId}"`, '"id":1e400'), {}],
      ['a __proto__ key', 400, '{"__proto__":{"entry":[]},"object":"whatsapp_business_account"}', {}],
      ['a field that cannot be turned into text', 200, '{"object":"whatsapp_business_account","entry":[{"changes":[{"field":{"toString":1,"valueOf":1}}]}]}', {}],
      ['a text/plain content type', 200, JSON.stringify(textMessage(CHANNEL, '5511999990010', 'plain')), { contentType: 'text/plain' }],
      ['a form content type', 200, JSON.stringify(textMessage(CHANNEL, '5511999990011', 'form')), { contentType: 'application/x-www-form-urlencoded' }],
      ['a multipart content type', 400, 'hello', { contentType: 'multipart/form-data; boundary=x' }],
      ['a gzip encoding that is not gzip', 400, 'not gzip at all', { headers: { 'content-encoding': 'gzip' } }],
      ['a gzip bomb (16 KB inflating to 16 MiB)', 413, gzipSync(Buffer.alloc(16 * 1024 * 1024, ' ')), { headers: { 'content-encoding': 'gzip' } }],
      ['an unknown content encoding', 415, JSON.stringify(textMessage(CHANNEL, '5511999990012', 'enc')), { headers: { 'content-encoding': 'x-unknown' } }],
      ['a charset that is not UTF-8', 200, JSON.stringify(textMessage(CHANNEL, '5511999990013', 'latin')), { contentType: 'application/json; charset=latin1' }],
      ['a signature header of 8 KB', 401, '{}', { signature: `sha256=${'a'.repeat(8000)}` }],
    ];

    it.each(cases)('answers %s with %i, not a 5xx', async (_case, expected, body, options) => {
      expect((await post(app, body, options)).status).toBe(expected);
    });

    it('is still healthy and storing after all of them', async () => {
      const id = wamid();
      expect((await post(app, JSON.stringify(textMessage(CHANNEL, '5511999990014', 'after', { id })))).status).toBe(200);
      expect(await storedDeliveries(app, id)).toBe(1);
      expect(app.logs.filter((line) => line.includes('"status":5'))).toEqual([]);
    });
  });

  describe('POST request context', () => {
    const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

    it('keeps a sane incoming X-Request-Id, logs the request under it and counts it in the metrics', async () => {
      const response = await fetch(`${app.url}/webhooks/meta`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'meta-retry-43', 'x-hub-signature-256': signBody('{}', SECRET) },
        body: '{}',
      });
      expect(response.status).toBe(400);
      expect(response.headers.get('x-request-id')).toBe('meta-retry-43');
      const lines = app.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.requestId === 'meta-retry-43');
      expect(lines).toEqual([expect.objectContaining({ msg: 'request', method: 'POST', path: '/webhooks/meta', status: 400 })]);
      const metrics = await (await fetch(`${app.url}/metrics`)).text();
      expect(metrics).toMatch(/http_request_duration_seconds_count\{method="POST",route="\/webhooks\/meta",status="400"\} [1-9]/);
    });

    it('gives a request without a usable X-Request-Id an id of its own', async () => {
      const response = await fetch(`${app.url}/webhooks/meta`, { method: 'POST', headers: { 'x-request-id': 'not usable: spaces' }, body: '{}' });
      expect(response.status).toBe(401);
      expect(response.headers.get('x-request-id')).toMatch(UUID);
    });

    it.each([['/Webhooks/Meta'], ['/webhooks/meta/'], ['/webhooks/meta?source=meta']])('routes %s to the webhook, as before', async (path) => {
      const id = wamid();
      const body = JSON.stringify(textMessage(CHANNEL, '5511999990016', 'path', { id }));
      const response = await fetch(`${app.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(body, SECRET) }, body });
      expect(response.status).toBe(200);
      expect(await storedDeliveries(app, id)).toBe(1);
    });

    it('leaves other paths and methods to the rest of the app', async () => {
      expect((await fetch(`${app.url}/webhooks/metax`, { method: 'POST', body: '{}' })).status).toBe(404);
      expect((await fetch(`${app.url}/webhooks/meta`, { method: 'PUT', body: '{}' })).status).toBe(404);
    });
  });

  describe('group commit', () => {
    /**
     * Holds a lock that makes every INSERT into the inbox wait, on a connection of our own, so
     * that what the app answers while its INSERTs cannot commit is observable.
     */
    async function lockInbox() {
      const locker = new Client({ connectionString: app.config.database.url });
      await locker.connect();
      await locker.query('begin');
      await locker.query('lock table webhook_delivery in share mode');
      return {
        release: async () => {
          await locker.query('commit');
          await locker.end();
        },
      };
    }

    async function insertsWaitingOnTheLock(): Promise<number> {
      const client = new Client({ connectionString: app.config.database.url });
      await client.connect();
      try {
        const { rows } = await client.query(
          `select count(*)::int as n from pg_stat_activity
           where datname = current_database() and wait_event_type = 'Lock' and query like 'insert into webhook_delivery%'`,
        );
        return rows[0].n as number;
      } finally {
        await client.end();
      }
    }

    it('answers no delivery before its row has committed, while group commits are in flight', async () => {
      const ids = Array.from({ length: 6 }, () => wamid());
      const answered: string[] = [];
      const send = (id: string, i: number) =>
        post(app, JSON.stringify(textMessage(CHANNEL, `55119999901${i}0`, 'grouped', { id }))).then((reply) => {
          answered.push(id);
          return reply;
        });
      const lock = await lockInbox();
      const replies: Promise<Reply>[] = [];
      try {
        // The first alone, until its INSERT waits on the lock; the rest then wait in the inbox for the next one.
        replies.push(send(ids[0]!, 0));
        await waitFor(async () => (await insertsWaitingOnTheLock()) === 1, { what: 'the first group commit to wait on the lock' });
        replies.push(...ids.slice(1).map((id, i) => send(id, 1 + i)));
        expect(answered).toEqual([]);
        expect(await insertsWaitingOnTheLock()).toBe(1);
      } finally {
        await lock.release();
      }
      expect((await Promise.all(replies)).map((reply) => reply.status)).toEqual(ids.map(() => 200));
      for (const id of ids) expect(await storedDeliveries(app, id)).toBe(1);
    });
  });

  describe('PostgreSQL unreachable', () => {
    const setConnectable = async (allowed: boolean) => {
      await adminQuery(`ALTER DATABASE ${app.databaseName} ALLOW_CONNECTIONS ${allowed}`);
      if (!allowed) await adminQuery(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${app.databaseName}' AND pid <> pg_backend_pid()`);
    };
    afterAll(() => setConnectable(true));

    it('answers 503 so Meta retries, and stores the retry once PostgreSQL is back', async () => {
      const id = wamid();
      const raw = JSON.stringify(textMessage(CHANNEL, '5511999990015', 'while down', { id }));
      await setConnectable(false);
      try {
        expect((await post(app, raw)).status).toBe(503);
        // The pool must not hold on to connections that died: the next retry fails the same way.
        expect((await post(app, raw)).status).toBe(503);
      } finally {
        await setConnectable(true);
      }

      expect((await post(app, raw)).status).toBe(200);
      expect(await storedDeliveries(app, id)).toBe(1);
    });
  });
});
