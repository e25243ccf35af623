import http, { type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeGraphState, type RecordedRequest } from './fake-graph-state';
import { route, type Routed } from './fake-graph-routes';
import { CONTROL_PREFIX, controlRoute } from './fake-graph-control';
import { FakeTemplateStore, type FakeTemplate, type TemplateSeed } from './fake-template-store';
import { StatusEmitter, type EmittedWebhook } from './status-emitter';
import { inboundEnvelope, metaJson, statusEnvelope, templateStatusRaw, type InboundContent, type StatusName } from './webhook-envelopes';

export type { RecordedRequest } from './fake-graph-state';
export type { FakeTemplate, TemplateSeed } from './fake-template-store';
export type { EmittedWebhook } from './status-emitter';

export interface FakeGraphOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** Where to send status webhooks (our POST /webhooks/meta URL); none when unset. */
  webhookUrl?: string;
  /** Signs the webhooks (X-Hub-Signature-256); unsigned when unset. */
  appSecret?: string;
  /**
   * Emit sent/delivered/read statuses automatically after accepting a send (default false). `true`
   * means all three with no pause; in the object form `delivered` and `read` default to true and
   * `delayMs` (the pause before each status, default 0) to 0. Statuses start once the answer is
   * written, or at once when delayNext holds the answer back (the outcome-unknown case).
   */
  autoStatuses?: boolean | { delivered?: boolean; read?: boolean; delayMs?: number };
  /** Per phone_number_id messages/s before answering Meta error 130429 (default unlimited). */
  throughputPerSecond?: number;
  /**
   * Approve created templates after `delayMs` (default 1000), with the status webhook when there is
   * a webhookUrl (default false: they stay PENDING until setTemplateStatus or emitTemplateStatus).
   */
  autoApproveTemplates?: boolean | { delayMs?: number };
  /** Monotonic milliseconds for the throughput window (default performance.now); tests pass their own clock. */
  clock?: () => number;
  /** How many requests, wamids and emitted webhooks to remember, oldest dropped first (default unlimited). */
  maxRecorded?: number;
}

interface AutoStatuses {
  delivered: boolean;
  read: boolean;
  delayMs: number;
}

/** Statuses a template takes on when Meta sends the same-named event; REINSTATED and UNARCHIVED restore APPROVED. */
const TEMPLATE_EVENT_STATUS: Record<string, string> = { REINSTATED: 'APPROVED', UNARCHIVED: 'APPROVED' };
const TEMPLATE_STATUSES = new Set(['APPROVED', 'REJECTED', 'PENDING', 'PAUSED', 'DISABLED', 'FLAGGED', 'IN_APPEAL', 'PENDING_DELETION', 'DELETED', 'ARCHIVED', 'LIMIT_EXCEEDED', 'LOCKED']);

const MAX_BODY_BYTES = 5 * 1024 * 1024;

function normaliseAutoStatuses(value: FakeGraphOptions['autoStatuses']): AutoStatuses | null {
  if (!value) return null;
  if (value === true) return { delivered: true, read: true, delayMs: 0 };
  return { delivered: value.delivered ?? true, read: value.read ?? true, delayMs: value.delayMs ?? 0 };
}

/**
 * A fake Meta Graph API on a real HTTP port, for tests, the local demo and benchmarks: it accepts
 * sends with fresh wamids, records every request, fails, stalls or throttles on demand, manages
 * templates, and posts the matching signed webhooks back to our `/webhooks/meta`. Tools in other
 * processes read what it accepted from `GET /_fake/sent` (see fake-graph-control.ts).
 */
export class FakeGraphApi {
  private readonly state: FakeGraphState;
  private readonly store = new FakeTemplateStore();
  private readonly emitter: StatusEmitter;
  private autoStatuses: AutoStatuses | null;
  private readonly autoApproveMs: number | null;
  private readonly clock: () => number;
  /** Answers held back by latency or delayNext, and responses that never get one (hang). */
  private readonly pendingAnswers = new Set<NodeJS.Timeout>();
  private readonly hung = new Set<ServerResponse>();
  private closing: Promise<void> | null = null;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    options: FakeGraphOptions,
  ) {
    const limit = options.maxRecorded ?? Number.POSITIVE_INFINITY;
    this.state = new FakeGraphState(options.throughputPerSecond ?? null, limit);
    this.emitter = new StatusEmitter(options.webhookUrl, options.appSecret, limit);
    this.autoStatuses = normaliseAutoStatuses(options.autoStatuses);
    this.clock = options.clock ?? (() => performance.now());
    const approve = options.autoApproveTemplates;
    this.autoApproveMs = approve ? (approve === true ? 1000 : (approve.delayMs ?? 1000)) : null;
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.handle(req, res));
  }

  static async start(options: FakeGraphOptions = {}): Promise<FakeGraphApi> {
    const server = http.createServer();
    const host = options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
    return new FakeGraphApi(server, `http://${shownHost}:${port}`, options);
  }

  get requests(): RecordedRequest[] {
    return this.state.requests;
  }

  /** Webhooks posted so far (statuses, inbound messages, template events), with our endpoint's answers. */
  get webhooks(): EmittedWebhook[] {
    return this.emitter.emitted;
  }

  /** Webhook posts that got no answer, or an answer other than 200. */
  get webhookFailures(): number {
    return this.emitter.failures;
  }

  /** Accepted sends (not marks-as-read), in arrival order. */
  sentMessages(phoneNumberId?: string): RecordedRequest[] {
    return this.state.requests.filter(
      (r) => r.kind === 'send' && r.wamid !== undefined && (phoneNumberId === undefined || r.phoneNumberId === phoneNumberId),
    );
  }

  /** The next `times` (default 1) matching sends fail with Meta error `code`. */
  failNext(code: number, options: { times?: number; phoneNumberId?: string; to?: string; title?: string; details?: string; httpStatus?: number } = {}): void {
    const { times = 1, phoneNumberId, to, ...error } = options;
    this.state.scriptFailure({ code, remaining: times, phoneNumberId, to, error });
  }

  /**
   * The next `times` (default 1) matching sends are accepted (recorded, wamid assigned, statuses
   * emitted) but answered `ms` late, or never with `hang` (the socket stays open until reset/close).
   */
  delayNext(ms: number, options: { times?: number; phoneNumberId?: string; to?: string; hang?: boolean } = {}): void {
    const { times = 1, phoneNumberId, to, hang = false } = options;
    this.state.scriptDelay({ ms, hang, remaining: times, phoneNumberId, to });
  }

  /** Every answer is delayed by `ms` (a slow API). */
  setLatency(ms: number): void {
    this.state.latencyMs = Math.max(0, ms);
  }

  /** Messages per second per phone_number_id before 130429; null for unlimited. */
  setThroughput(perSecond: number | null): void {
    this.state.throughputPerSecond = perSecond;
  }

  /** Our app usually starts after the fake (it needs the fake's URL): tell the fake where it is. */
  setWebhookUrl(url: string | undefined): void {
    this.emitter.webhookUrl = url;
  }

  setAutoStatuses(value: FakeGraphOptions['autoStatuses']): void {
    this.autoStatuses = normaliseAutoStatuses(value);
  }

  /** The WABA and display number to put in webhooks for a phone_number_id (else '0' and a made-up number). */
  registerNumber(phoneNumberId: string, info: { wabaId?: string; displayPhoneNumber?: string }): void {
    this.state.registerNumber(phoneNumberId, info);
  }

  /** Posts a signed status webhook for a wamid this fake handed out; resolves with our endpoint's HTTP status (0 if unreachable). */
  emitStatus(wamid: string, status: StatusName, extra: { errorCode?: number; errorTitle?: string } = {}): Promise<number> {
    const message = this.state.sentMessage(wamid);
    if (!message) return Promise.reject(new Error(`fake Graph API: ${wamid} is not a wamid it handed out`));
    const number = this.state.number(message.phoneNumberId);
    const template = message.templateName && number.wabaId ? this.store.templates(number.wabaId).find((t) => t.name === message.templateName) : undefined;
    return this.emitter.post(metaJson(statusEnvelope(message, number, status, { ...extra, templateCategory: template?.category })));
  }

  /** Posts an inbound customer message (text, or a button/list reply to our last message to them). */
  emitInbound(
    phoneNumberId: string,
    from: string,
    message: InboundContent,
    options: { name?: string; displayPhoneNumber?: string; wabaId?: string; wamid?: string } = {},
  ): Promise<number> {
    if (options.wabaId !== undefined || options.displayPhoneNumber !== undefined) this.state.registerNumber(phoneNumberId, options);
    const isReply = Boolean(message.buttonReply || message.listReply);
    const replyTo = isReply ? this.state.lastWamidTo(phoneNumberId, from) : undefined;
    const envelope = inboundEnvelope(phoneNumberId, this.state.number(phoneNumberId), from, message, { name: options.name, wamid: options.wamid, replyTo });
    return this.emitter.post(metaJson(envelope));
  }

  addTemplate(wabaId: string, template: TemplateSeed): FakeTemplate {
    return this.store.add(wabaId, template);
  }

  templates(wabaId: string): FakeTemplate[] {
    return this.store.templates(wabaId);
  }

  setTemplateStatus(wabaId: string, id: string, status: string): FakeTemplate {
    return this.store.setStatus(wabaId, id, status);
  }

  /** Posts a `message_template_status_update` webhook, and moves the template to the event's status. */
  emitTemplateStatus(wabaId: string, id: string, event: string, extra: Record<string, unknown> = {}): Promise<number> {
    const status = TEMPLATE_EVENT_STATUS[event] ?? (TEMPLATE_STATUSES.has(event) ? event : undefined);
    const template = status ? this.store.setStatus(wabaId, id, status) : this.store.templates(wabaId).find((t) => t.id === id);
    if (!template) return Promise.reject(new Error(`fake Graph API: WABA ${wabaId} has no template ${id}`));
    return this.emitter.post(templateStatusRaw(wabaId, template, event, extra));
  }

  /** Clears requests, scripted failures and delays, latency, throughput (back to the option), pending statuses and hung requests. */
  reset(): void {
    this.state.reset();
    this.emitter.cancel();
    this.emitter.failures = 0;
    this.emitter.emitted.length = 0;
    this.endHung();
  }

  /** Stops listening and ends every connection, hung or idle; pending answers and webhooks are dropped. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.emitter.close();
      for (const timer of this.pendingAnswers) clearTimeout(timer);
      this.pendingAnswers.clear();
      this.endHung();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.closing;
  }

  private endHung(): void {
    for (const res of this.hung) res.socket?.destroy();
    this.hung.clear();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) {
        writeAnswer(res, { status: 413, body: { error: { message: 'Request body too large', type: 'OAuthException', code: 100 } } });
        return;
      }
      this.respond(req, res, Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', () => res.destroy());
  }

  private respond(req: IncomingMessage, res: ServerResponse, text: string): void {
    const url = new URL(req.url ?? '/', 'http://fake-graph');
    const query = Object.fromEntries(url.searchParams);
    if (url.pathname.startsWith(CONTROL_PREFIX)) {
      writeAnswer(res, controlRoute({ state: this.state, templates: this.store }, req.method ?? 'GET', url.pathname, query));
      return;
    }
    const body = parseBody(text);
    const routed = route({ state: this.state, templates: this.store, baseUrl: this.url, now: this.clock }, { method: req.method ?? 'GET', pathname: url.pathname, query, headers: req.headers, body });
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query,
      headers: req.headers,
      body,
      at: new Date(),
      kind: routed.kind,
      ...(routed.phoneNumberId !== undefined ? { phoneNumberId: routed.phoneNumberId } : {}),
      ...(routed.accepted ? { wamid: routed.accepted.wamid } : {}),
      response: { status: routed.answer.status, body: Buffer.isBuffer(routed.answer.body) ? '<binary>' : routed.answer.body },
    };
    this.state.record(record);
    this.afterCreate(routed);

    const wait = this.state.latencyMs + routed.delayMs;
    const heldBack = routed.hang || routed.delayMs > 0;
    if (heldBack) this.startStatuses(routed);
    if (routed.hang) {
      this.hung.add(res);
      res.on('close', () => this.hung.delete(res));
      return;
    }
    const answer = () => {
      writeAnswer(res, routed.answer);
      record.answeredAt = new Date();
      if (!heldBack) this.startStatuses(routed);
    };
    if (wait <= 0) return answer();
    const timer = setTimeout(() => {
      this.pendingAnswers.delete(timer);
      answer();
    }, wait);
    this.pendingAnswers.add(timer);
  }

  private startStatuses(routed: Routed): void {
    const auto = this.autoStatuses;
    const sent = routed.accepted;
    if (!auto || !sent || !this.emitter.webhookUrl) return;
    const steps: StatusName[] = ['sent', ...(auto.delivered ? (['delivered'] as const) : []), ...(auto.read ? (['read'] as const) : [])];
    this.emitter.sequence(
      auto.delayMs,
      steps.map((status) => () => this.emitStatus(sent.wamid, status)),
    );
  }

  private afterCreate(routed: Routed): void {
    const created = routed.created;
    if (!created || this.autoApproveMs == null) return;
    this.emitter.sequence(this.autoApproveMs, [
      () => (this.emitter.webhookUrl ? this.emitTemplateStatus(created.wabaId, created.template.id, 'APPROVED') : Promise.resolve(this.setTemplateStatus(created.wabaId, created.template.id, 'APPROVED'))),
    ]);
  }
}

function parseBody(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function writeAnswer(res: ServerResponse, answer: { status: number; body: unknown; contentType?: string }): void {
  // The client may have given up (its timeout): nothing to write to.
  if (res.destroyed || res.writableEnded) return;
  const binary = Buffer.isBuffer(answer.body);
  const payload = binary ? (answer.body as Buffer) : Buffer.from(JSON.stringify(answer.body));
  res.writeHead(answer.status, {
    'content-type': binary ? (answer.contentType ?? 'application/octet-stream') : 'application/json; charset=UTF-8',
    'content-length': payload.length,
  });
  res.end(payload);
}
