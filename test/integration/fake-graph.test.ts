import http, { type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeGraphApi } from '../../src/devtools/fake-graph';
import { isValidSignature } from '../../src/meta/webhook-signature';
import { waitFor } from '../helpers/wait';

/**
 * The fake Graph API that tests, the demo and benchmarks send to, exercised over real HTTP: what
 * other tests rely on it for (fresh wamids, recording, scripted failures and delays, throughput,
 * templates, signed webhooks in Meta's exact shape) and that it always closes.
 */

const TOKEN = 'EAAGfakeSystemUserToken';
const SECRET = 'fake-graph-app-secret';
const NUMBER = '106540352242922';
const OTHER_NUMBER = '106540352242933';
const WABA = '102290129340398';
const CUSTOMER = '5511988887777';

interface Answer {
  status: number;
  body: any;
}

/** One Graph API call as our client makes it: JSON, Bearer token, bounded. */
async function graph(fake: FakeGraphApi, path: string, options: { method?: string; body?: unknown; token?: string | null; timeoutMs?: number } = {}): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.token !== null) headers.authorization = `Bearer ${options.token ?? TOKEN}`;
  const response = await fetch(`${fake.url}${path}`, {
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

const text = (to: string, body = 'Your order has shipped', extra: Record<string, unknown> = {}) => ({
  messaging_product: 'whatsapp',
  recipient_type: 'individual',
  to,
  type: 'text',
  text: { body },
  ...extra,
});

const send = (fake: FakeGraphApi, number = NUMBER, to = CUSTOMER) => graph(fake, `/v25.0/${number}/messages`, { body: text(to) });

/** Meta's error body, exactly. */
const metaError = (code: number, title: string) => ({
  error: {
    message: `(#${code}) ${title}`,
    type: 'OAuthException',
    code,
    error_data: { messaging_product: 'whatsapp', details: expect.any(String) },
    fbtrace_id: expect.any(String),
  },
});

interface Received {
  raw: Buffer;
  headers: IncomingHttpHeaders;
}

/** A stand-in for our /webhooks/meta: keeps every POST's raw bytes and answers `status`. */
class Receiver {
  readonly received: Received[] = [];
  status = 200;
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<Receiver> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const receiver = new Receiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/meta`);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        receiver.received.push({ raw: Buffer.concat(chunks), headers: req.headers });
        res.writeHead(receiver.status).end();
      });
    });
    return receiver;
  }

  bodies(): any[] {
    return this.received.map((item) => JSON.parse(item.raw.toString('utf8')));
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

let fake: FakeGraphApi;
let receiver: Receiver;
/** The throughput window's clock, moved by hand so no assertion depends on how fast requests go. */
let now = 0;

beforeAll(async () => {
  receiver = await Receiver.start();
  fake = await FakeGraphApi.start({ webhookUrl: receiver.url, appSecret: SECRET, clock: () => now });
});

afterEach(() => {
  fake.reset();
  fake.setAutoStatuses(false);
  fake.setWebhookUrl(receiver.url);
  receiver.received.length = 0;
  receiver.status = 200;
});

afterAll(async () => {
  await fake?.close();
  await receiver?.close();
});

describe('sends', () => {
  it('answers every send with a fresh wamid and records it, with or without a version segment', async () => {
    const answers = [await send(fake), await graph(fake, `/${NUMBER}/messages`, { body: text('+55 11 98888-6666') }), await send(fake)];

    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(answers[1]!.body).toEqual({
      messaging_product: 'whatsapp',
      contacts: [{ input: '+55 11 98888-6666', wa_id: '5511988886666' }],
      messages: [{ id: expect.stringMatching(/^wamid\.[A-Za-z0-9+/=]+$/) }],
    });
    const wamids = answers.map((a) => a.body.messages[0].id);
    expect(new Set(wamids).size).toBe(3);

    const sent = fake.sentMessages(NUMBER);
    expect(sent.map((r) => r.wamid)).toEqual(wamids);
    expect(sent[0]).toMatchObject({
      method: 'POST',
      path: `/v25.0/${NUMBER}/messages`,
      phoneNumberId: NUMBER,
      body: text(CUSTOMER),
      headers: expect.objectContaining({ authorization: `Bearer ${TOKEN}` }),
      response: { status: 200, body: answers[0]!.body },
    });
    expect(sent[0]!.answeredAt).toBeInstanceOf(Date);
    expect(fake.sentMessages(OTHER_NUMBER)).toEqual([]);
  });

  it('marks template sends as accepted, as Meta does', async () => {
    const answer = await graph(fake, `/${NUMBER}/messages`, {
      body: { messaging_product: 'whatsapp', to: CUSTOMER, type: 'template', template: { name: 'order_update', language: { code: 'en_US' } } },
    });
    expect(answer.body.messages).toEqual([{ id: expect.any(String), message_status: 'accepted' }]);
  });

  it('treats status read as a mark-as-read, not a send', async () => {
    const answer = await graph(fake, `/${NUMBER}/messages`, { body: { messaging_product: 'whatsapp', status: 'read', message_id: 'wamid.INBOUND1' } });

    expect(answer).toEqual({ status: 200, body: { success: true } });
    expect(fake.requests).toEqual([expect.objectContaining({ kind: 'mark-as-read', phoneNumberId: NUMBER })]);
    expect(fake.sentMessages()).toEqual([]);
  });

  it('refuses a request without a Bearer token with error 190 (HTTP 401)', async () => {
    const answer = await graph(fake, `/${NUMBER}/messages`, { body: text(CUSTOMER), token: null });

    expect(answer).toEqual({ status: 401, body: metaError(190, 'Invalid OAuth access token - Cannot parse access token') });
    expect(fake.requests).toHaveLength(1);
    expect(fake.sentMessages()).toEqual([]);
  });

  it.each([
    ['another messaging_product', { ...text(CUSTOMER), messaging_product: 'sms' }, /messaging_product/],
    ['no recipient', { messaging_product: 'whatsapp', type: 'text', text: { body: 'hi' } }, /\bto\b/],
    ['no type', { messaging_product: 'whatsapp', to: CUSTOMER, text: { body: 'hi' } }, /type/],
    ['a type without its content', { messaging_product: 'whatsapp', to: CUSTOMER, type: 'image' }, /image/],
  ])('refuses a send with %s with error 100', async (_case, body, details) => {
    const answer = await graph(fake, `/${NUMBER}/messages`, { body });

    expect(answer).toEqual({ status: 400, body: metaError(100, 'Invalid parameter') });
    expect(answer.body.error.error_data.details).toMatch(details);
    expect(fake.sentMessages()).toEqual([]);
  });

  it('answers unknown paths with 404 and error 100', async () => {
    const answer = await graph(fake, `/v25.0/${NUMBER}/no_such_edge`);
    expect(answer.status).toBe(404);
    expect(answer.body.error).toMatchObject({ code: 100, type: 'OAuthException' });
  });

  it('answers media lookups, and the media URL downloads with the token', async () => {
    const answer = await graph(fake, '/v25.0/1037543291543636');
    expect(answer).toEqual({
      status: 200,
      body: { messaging_product: 'whatsapp', url: expect.stringContaining(fake.url), mime_type: 'image/png', sha256: expect.any(String), file_size: expect.any(Number), id: '1037543291543636' },
    });
    const file = await fetch(answer.body.url, { headers: { authorization: `Bearer ${TOKEN}` }, signal: AbortSignal.timeout(10_000) });
    const bytes = Buffer.from(await file.arrayBuffer());
    expect(file.headers.get('content-type')).toBe('image/png');
    expect(bytes.length).toBe(answer.body.file_size);
  });
});

describe('scripted failures', () => {
  it('fails the next N sends with the Meta error, then accepts again', async () => {
    fake.failNext(131056, { times: 2 });

    const answers = [await send(fake), await send(fake), await send(fake)];

    expect(answers.map((a) => a.status)).toEqual([429, 429, 200]);
    expect(answers[0]!.body).toEqual(metaError(131056, '(Business Account, Consumer Account) pair rate limit hit'));
    expect(fake.sentMessages().map((r) => r.wamid)).toEqual([answers[2]!.body.messages[0].id]);
    expect(fake.requests.map((r) => r.response.status)).toEqual([429, 429, 200]);
  });

  it('scopes a failure to a phone number and to a recipient', async () => {
    fake.failNext(131026, { phoneNumberId: OTHER_NUMBER });
    fake.failNext(131047, { to: '+55 11 97777-0000' });

    expect((await send(fake, NUMBER)).status).toBe(200);
    expect((await send(fake, NUMBER, '5511955550000')).status).toBe(200);
    expect((await send(fake, NUMBER, '5511977770000')).body.error.code).toBe(131047);
    expect((await send(fake, OTHER_NUMBER)).body.error.code).toBe(131026);
    expect((await send(fake, OTHER_NUMBER)).status).toBe(200);
  });

  it.each([
    [130429, 429],
    [80007, 429],
    [131000, 500],
    [2, 500],
    [190, 401],
    [131047, 400],
    [132001, 400],
  ])('answers code %i with HTTP %i', async (code, status) => {
    fake.failNext(code);
    const answer = await send(fake);
    expect(answer.status).toBe(status);
    expect(answer.body.error).toMatchObject({ code, message: expect.stringMatching(new RegExp(`^\\(#${code}\\) `)) });
  });

  it('takes the title, details and HTTP status it is given', async () => {
    fake.failNext(131048, { title: 'Spam rate limit hit', details: 'Paused for quality', httpStatus: 503 });
    const answer = await send(fake);
    expect(answer.status).toBe(503);
    expect(answer.body.error).toMatchObject({ message: '(#131048) Spam rate limit hit', error_data: { details: 'Paused for quality' } });
  });
});

describe('throughput', () => {
  it('answers 130429 beyond the per-number limit within one second, and not for other numbers', async () => {
    fake.setThroughput(3);
    now = 10_000;

    const burst = await Promise.all(Array.from({ length: 5 }, () => send(fake)));
    const other = await send(fake, OTHER_NUMBER);

    expect(burst.filter((a) => a.status === 200)).toHaveLength(3);
    expect(burst.filter((a) => a.status === 429).map((a) => a.body)).toEqual([metaError(130429, 'Rate limit hit'), metaError(130429, 'Rate limit hit')]);
    expect(other.status).toBe(200);

    now += 999;
    expect((await send(fake)).status).toBe(429);
    now += 2;
    expect((await send(fake)).status).toBe(200);
    expect(fake.sentMessages(NUMBER)).toHaveLength(4);
  });

  it('is unlimited again after reset', async () => {
    fake.setThroughput(1);
    expect((await send(fake)).status).toBe(200);
    expect((await send(fake)).status).toBe(429);
    fake.reset();
    expect((await send(fake)).status).toBe(200);
  });
});

describe('delays', () => {
  it('accepts a delayed send even when the client gives up: the outcome is unknown to it, not to Meta', async () => {
    fake.delayNext(60_000);

    const timedOut = await graph(fake, `/${NUMBER}/messages`, { body: text(CUSTOMER), timeoutMs: 300 }).then(
      () => 'answered',
      (error: Error) => error.name,
    );

    expect(timedOut).toBe('TimeoutError');
    const [held] = fake.sentMessages();
    expect(held).toMatchObject({ wamid: expect.stringMatching(/^wamid\./), response: { status: 200 } });
    expect(held!.answeredAt).toBeUndefined();
    expect((await send(fake)).status).toBe(200);
  });

  it('answers a delayed send late but with its wamid', async () => {
    fake.delayNext(80);
    const answer = await send(fake);
    const [record] = fake.sentMessages();
    expect(answer.body.messages[0].id).toBe(record!.wamid);
    expect(record!.answeredAt!.getTime() - record!.at.getTime()).toBeGreaterThanOrEqual(75);
  });

  it('delays every answer under latency, errors included', async () => {
    fake.setLatency(60);
    await graph(fake, '/nothing/here/at/all');
    await send(fake);
    for (const record of fake.requests) expect(record.answeredAt!.getTime() - record.at.getTime()).toBeGreaterThanOrEqual(55);
  });

  it('never answers a hung send, and close() ends it without waiting', async () => {
    const own = await FakeGraphApi.start();
    own.delayNext(0, { hang: true });
    const pending = send(own).then(
      () => 'answered',
      () => 'connection ended',
    );
    await waitFor(() => own.sentMessages().length === 1, { what: 'the hung send to arrive' });

    await own.close();

    await expect(pending).resolves.toBe('connection ended');
    expect(own.sentMessages()[0]!.answeredAt).toBeUndefined();
  });
});

describe('templates', () => {
  const template = (name: string, language = 'en_US') => ({
    name,
    language,
    category: 'UTILITY',
    parameter_format: 'positional',
    components: [{ type: 'BODY', text: 'Order {{1}} has shipped', example: { body_text: [['#1042']] } }],
  });
  const waba = `/v25.0/${WABA}/message_templates`;

  it('creates PENDING templates with 16-digit ids and refuses bad or duplicate ones with error 100', async () => {
    const created = await graph(fake, waba, { body: template('order_shipped') });
    expect(created).toEqual({ status: 200, body: { id: expect.stringMatching(/^\d{16,19}$/), status: 'PENDING', category: 'UTILITY' } });
    expect(Number.isSafeInteger(Number(created.body.id))).toBe(false);

    expect((await graph(fake, waba, { body: template('order_shipped', 'pt_BR') })).status).toBe(200);
    for (const bad of [template('order_shipped'), template('Order Shipped'), { ...template('no_components'), components: [] }, { ...template('x'), category: 'PROMO' }]) {
      const refused = await graph(fake, waba, { body: bad });
      expect(refused).toEqual({ status: 400, body: metaError(100, 'Invalid parameter') });
    }
    expect(fake.templates(WABA).map((t) => [t.name, t.language, t.status])).toEqual([
      ['order_shipped', 'en_US', 'PENDING'],
      ['order_shipped', 'pt_BR', 'PENDING'],
    ]);
  });

  it('pages with cursors until there is no next page', async () => {
    const wabaId = '102290129340777';
    for (let i = 0; i < 5; i++) fake.addTemplate(wabaId, { ...template(`notice_${i}`), status: 'APPROVED' });

    const pages: any[] = [];
    let next: string | undefined = `/${wabaId}/message_templates?limit=2&fields=name,status`;
    while (next) {
      const page = await graph(fake, next.replace(fake.url, ''));
      expect(page.status).toBe(200);
      pages.push(page.body);
      next = page.body.paging.next;
    }

    expect(pages.map((p) => p.data.length)).toEqual([2, 2, 1]);
    expect(pages.flatMap((p) => p.data)).toEqual(
      [0, 1, 2, 3, 4].map((i) => ({ name: `notice_${i}`, status: 'APPROVED', id: fake.templates(wabaId)[i]!.id })),
    );
    expect(pages[0].paging.cursors).toEqual({ before: expect.any(String), after: expect.any(String) });
    const back = await graph(fake, pages[1].paging.previous.replace(fake.url, ''));
    expect(back.body.data.map((t: any) => t.name)).toEqual(['notice_0', 'notice_1']);
  });

  it('deletes every language of a name, or one template by hsm_id', async () => {
    const wabaId = '102290129340888';
    const en = fake.addTemplate(wabaId, template('promo'));
    fake.addTemplate(wabaId, template('promo', 'es'));
    fake.addTemplate(wabaId, template('welcome'));

    expect(await graph(fake, `/${wabaId}/message_templates?name=promo&hsm_id=${en.id}`, { method: 'DELETE' })).toEqual({ status: 200, body: { success: true } });
    expect(fake.templates(wabaId).map((t) => `${t.name}/${t.language}`)).toEqual(['promo/es', 'welcome/en_US']);
    expect((await graph(fake, `/${wabaId}/message_templates?name=promo`, { method: 'DELETE' })).status).toBe(200);
    expect(fake.templates(wabaId).map((t) => t.name)).toEqual(['welcome']);
    expect((await graph(fake, `/${wabaId}/message_templates?name=promo`, { method: 'DELETE' })).body.error.code).toBe(100);
  });

  it('moves a template with emitTemplateStatus and posts the event with the id as a JSON number', async () => {
    const seeded = fake.addTemplate(WABA, { ...template('reminder'), status: 'PENDING' });

    expect(await fake.emitTemplateStatus(WABA, seeded.id, 'REJECTED')).toBe(200);

    expect(fake.templates(WABA).find((t) => t.id === seeded.id)!.status).toBe('REJECTED');
    const raw = receiver.received[0]!.raw.toString('utf8');
    expect(raw).toContain(`"message_template_id":${seeded.id},`);
    expect(isValidSignature(receiver.received[0]!.raw, receiver.received[0]!.headers['x-hub-signature-256'] as string, SECRET)).toBe(true);
    expect(JSON.parse(raw).entry[0]).toMatchObject({
      id: WABA,
      changes: [{ field: 'message_template_status_update', value: { event: 'REJECTED', message_template_name: 'reminder', message_template_language: 'en_US', reason: 'INVALID_FORMAT' } }],
    });
  });
});

describe('webhooks', () => {
  it('posts a status in Meta\'s exact shape, signed over the raw bytes', async () => {
    fake.registerNumber(NUMBER, { wabaId: WABA, displayPhoneNumber: '+1 555 010 0000' });
    const sent = await graph(fake, `/${NUMBER}/messages`, { body: text(CUSTOMER, 'Olá, João', { biz_opaque_callback_data: 'campaign/42' }) });
    const wamid = sent.body.messages[0].id;

    expect(await fake.emitStatus(wamid, 'sent')).toBe(200);

    const [delivery] = receiver.received;
    expect(delivery!.headers['content-type']).toBe('application/json');
    expect(isValidSignature(delivery!.raw, delivery!.headers['x-hub-signature-256'] as string, SECRET)).toBe(true);
    expect(isValidSignature(delivery!.raw, delivery!.headers['x-hub-signature-256'] as string, 'another-secret')).toBe(false);
    expect(delivery!.raw.toString('utf8')).toContain('campaign\\/42');
    expect(receiver.bodies()[0]).toEqual({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: WABA,
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                metadata: { display_phone_number: '15550100000', phone_number_id: NUMBER },
                statuses: [
                  {
                    id: wamid,
                    status: 'sent',
                    timestamp: expect.stringMatching(/^\d{10}$/),
                    recipient_id: CUSTOMER,
                    biz_opaque_callback_data: 'campaign/42',
                    pricing: { billable: false, pricing_model: 'PMP', category: 'service', type: 'free_customer_service' },
                  },
                ],
              },
            },
          ],
        },
      ],
    });
  });

  it('puts the error on a failed status, and no pricing', async () => {
    const wamid = (await send(fake)).body.messages[0].id;

    await fake.emitStatus(wamid, 'failed', { errorCode: 131047 });

    const [status] = receiver.bodies()[0].entry[0].changes[0].value.statuses;
    expect(status.pricing).toBeUndefined();
    expect(status.errors).toEqual([
      { code: 131047, title: 'Re-engagement message', message: 'Re-engagement message', error_data: { details: 'Re-engagement message' }, href: expect.any(String) },
    ]);
  });

  it('refuses to emit a status for a wamid it never handed out', async () => {
    await expect(fake.emitStatus('wamid.UNKNOWN', 'read')).rejects.toThrow(/not a wamid/);
  });

  it('emits sent, delivered and read by itself when autoStatuses is on', async () => {
    fake.setAutoStatuses({ delayMs: 5 });
    const wamid = (await send(fake)).body.messages[0].id;

    await waitFor(() => receiver.received.length >= 3, { what: 'three status webhooks' });

    const statuses = receiver.bodies().map((body) => body.entry[0].changes[0].value.statuses[0]);
    expect(statuses.map((s) => [s.id, s.status])).toEqual([
      [wamid, 'sent'],
      [wamid, 'delivered'],
      [wamid, 'read'],
    ]);
  });

  it('emits the statuses of a send whose answer is held back', async () => {
    fake.setAutoStatuses({ read: false });
    fake.delayNext(0, { hang: true });
    void send(fake).catch(() => undefined);

    await waitFor(() => receiver.received.length >= 2, { what: 'sent and delivered webhooks' });

    const [hung] = fake.sentMessages();
    expect(receiver.bodies().map((body) => body.entry[0].changes[0].value.statuses[0].id)).toEqual([hung!.wamid, hung!.wamid]);
    expect(hung!.answeredAt).toBeUndefined();
  });

  it('posts inbound messages; a button reply refers to our last message to that customer', async () => {
    const ours = (await send(fake)).body.messages[0].id;

    expect(await fake.emitInbound(NUMBER, CUSTOMER, { text: 'Olá, quero ajuda' }, { name: 'Maria Souza', wabaId: WABA })).toBe(200);
    expect(await fake.emitInbound(NUMBER, CUSTOMER, { buttonReply: { id: 'track', title: 'Track order' } })).toBe(200);

    // Meta escapes non-ASCII in the bytes it signs: a receiver must verify those bytes, not a re-serialisation.
    const raw = receiver.received[0]!.raw;
    expect(raw.toString('utf8')).toContain('Ol\\u00e1, quero ajuda');
    expect(isValidSignature(raw, receiver.received[0]!.headers['x-hub-signature-256'] as string, SECRET)).toBe(true);
    const [first, second] = receiver.bodies().map((body) => body.entry[0].changes[0].value);
    expect(first.metadata).toEqual({ display_phone_number: expect.stringMatching(/^\d+$/), phone_number_id: NUMBER });
    expect(first.contacts).toEqual([{ profile: { name: 'Maria Souza' }, wa_id: CUSTOMER }]);
    expect(first.messages).toEqual([{ from: CUSTOMER, id: expect.stringMatching(/^wamid\./), timestamp: expect.stringMatching(/^\d{10}$/), type: 'text', text: { body: 'Olá, quero ajuda' } }]);
    expect(second.messages[0]).toMatchObject({
      type: 'interactive',
      interactive: { type: 'button_reply', button_reply: { id: 'track', title: 'Track order' } },
      context: { id: ours },
    });
  });

  it('counts posts our endpoint refuses or cannot be reached, without throwing', async () => {
    const wamid = (await send(fake)).body.messages[0].id;
    receiver.status = 500;
    expect(await fake.emitStatus(wamid, 'delivered')).toBe(500);

    const gone = await Receiver.start();
    await gone.close();
    fake.setWebhookUrl(gone.url);
    expect(await fake.emitStatus(wamid, 'read')).toBe(0);

    expect(fake.webhookFailures).toBe(2);
    expect(fake.webhooks.map((w) => w.status)).toEqual([500, 0]);
  });
});
