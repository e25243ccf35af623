import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { graphError, invalidParameter, type GraphAnswer } from './graph-error';
import { digitsOf, type FakeGraphState, type RequestKind, type SentMessage } from './fake-graph-state';
import type { FakeTemplate, FakeTemplateStore } from './fake-template-store';

/**
 * The Graph API routes the product uses (notes/meta-cloud-api.md sections 4, 7 and 10), as pure
 * decisions over the fake's state: the server does the HTTP, the waiting and the recording.
 */

export interface GraphRequest {
  method: string;
  pathname: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export interface Routed {
  kind: RequestKind;
  answer: GraphAnswer;
  phoneNumberId?: string;
  /** An accepted send: its wamid is live and status webhooks may follow. */
  accepted?: SentMessage;
  /** A template created by this request. */
  created?: { wabaId: string; template: FakeTemplate };
  /** Extra wait before answering (scripted by delayNext), or never answer at all. */
  delayMs: number;
  hang: boolean;
}

export interface RouteContext {
  state: FakeGraphState;
  templates: FakeTemplateStore;
  baseUrl: string;
  /** Monotonic milliseconds, for the throughput window. */
  now: () => number;
}

const VERSION = /^v\d+(\.\d+)?$/;
const META_ID = /^\d{1,25}$/;
const MESSAGE_TYPES = new Set(['text', 'image', 'audio', 'video', 'document', 'sticker', 'location', 'contacts', 'interactive', 'template', 'reaction']);
/** A 1x1 PNG: what every media id "contains". */
const MEDIA_BYTES = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const plain = (kind: RequestKind, answer: GraphAnswer, extra: Partial<Routed> = {}): Routed => ({ kind, answer, delayMs: 0, hang: false, ...extra });

export function route(ctx: RouteContext, request: GraphRequest): Routed {
  const segments = request.pathname.split('/').filter(Boolean);
  const version = segments[0] && VERSION.test(segments[0]) ? `/${segments.shift()}` : '';
  const [first, second, ...more] = segments;
  const unknown = () => plain('unknown', { ...unsupported(request.method, first ?? ''), status: 404 });

  if (!/^Bearer \S+/i.test(request.headers.authorization ?? '')) {
    return plain('unknown', graphError(190, { title: 'Invalid OAuth access token - Cannot parse access token', details: 'The request has no Bearer access token.' }));
  }
  if (!first || more.length) return unknown();

  if (second === 'messages' && request.method === 'POST') return messages(ctx, first, request.body);
  if (second === 'message_templates') {
    const wabaId = first;
    if (request.method === 'POST') {
      const { created, ...answer } = ctx.templates.create(wabaId, request.body);
      return plain('templates', answer, created ? { created: { wabaId, template: created } } : {});
    }
    if (request.method === 'GET') {
      const pageUrl = (params: Record<string, string>) => `${ctx.baseUrl}${version}/${wabaId}/message_templates?${new URLSearchParams(params)}`;
      return plain('templates', ctx.templates.page(wabaId, request.query, pageUrl));
    }
    if (request.method === 'DELETE') return plain('templates', ctx.templates.remove(wabaId, request.query));
    return unknown();
  }
  if (first === 'whatsapp_business' && second === 'attachments' && request.method === 'GET') {
    return plain('media', { status: 200, body: MEDIA_BYTES, contentType: 'image/png' });
  }
  if (second === undefined && request.method === 'GET' && META_ID.test(first)) return objectById(ctx, first, request.query);
  return unknown();
}

/** `POST /{phone_number_id}/messages`: a send, or a mark-as-read. */
function messages(ctx: RouteContext, phoneNumberId: string, body: unknown): Routed {
  const refuse = (details: string) => plain('send', invalidParameter(details), { phoneNumberId });
  if (!isObject(body)) return refuse('The request body must be a JSON object.');
  if (body.messaging_product !== 'whatsapp') return refuse("Param messaging_product must be 'whatsapp'.");

  if (body.status === 'read') {
    if (typeof body.message_id !== 'string' || !body.message_id) return plain('mark-as-read', invalidParameter('Param message_id is required.'), { phoneNumberId });
    return plain('mark-as-read', { status: 200, body: { success: true } }, { phoneNumberId });
  }

  const { to, type } = body;
  if (typeof to !== 'string' || !to.trim()) return refuse('Param to is required.');
  if (typeof type !== 'string' || !type) return refuse('Param type is required.');
  if (!MESSAGE_TYPES.has(type)) return refuse(`Param type must be one of ${[...MESSAGE_TYPES].join(', ')}.`);
  const content = body[type];
  if (!(isObject(content) || (type === 'contacts' && Array.isArray(content)))) return refuse(`Param ${type} is required.`);

  const failure = ctx.state.takeFailure(phoneNumberId, to);
  if (failure) return plain('send', graphError(failure.code, failure.error), { phoneNumberId });
  if (!ctx.state.admit(phoneNumberId, ctx.now())) return plain('send', graphError(130429), { phoneNumberId });

  const recipientId = digitsOf(to);
  const sent: SentMessage = {
    wamid: ctx.state.newWamid(recipientId),
    phoneNumberId,
    to,
    recipientId,
    type,
    ...(type === 'template' && isObject(content) && typeof content.name === 'string' ? { templateName: content.name } : {}),
    ...(typeof body.biz_opaque_callback_data === 'string' ? { bizOpaqueCallbackData: body.biz_opaque_callback_data } : {}),
  };
  ctx.state.rememberSend(sent);
  const delay = ctx.state.takeDelay(phoneNumberId, to);
  const answer = {
    messaging_product: 'whatsapp',
    contacts: [{ input: to, wa_id: recipientId }],
    // Meta marks template sends as accepted (they may be paced); other sends carry the id only.
    messages: [type === 'template' ? { id: sent.wamid, message_status: 'accepted' } : { id: sent.wamid }],
  };
  return { kind: 'send', answer: { status: 200, body: answer }, phoneNumberId, accepted: sent, delayMs: delay?.ms ?? 0, hang: delay?.hang ?? false };
}

/** `GET /{id}`: a template when the id is one of ours, media metadata otherwise. */
function objectById(ctx: RouteContext, id: string, query: Record<string, string>): Routed {
  const found = ctx.templates.find(id);
  if (found) {
    const view = found.template as unknown as Record<string, unknown>;
    const fields = query.fields ? [...new Set(['id', ...query.fields.split(',').map((f) => f.trim())])] : Object.keys(view);
    return plain('template', { status: 200, body: Object.fromEntries(fields.filter((f) => view[f] !== undefined).map((f) => [f, view[f]])) });
  }
  return plain('media', {
    status: 200,
    body: {
      messaging_product: 'whatsapp',
      url: `${ctx.baseUrl}/whatsapp_business/attachments/?mid=${id}`,
      mime_type: 'image/png',
      sha256: createHash('sha256').update(MEDIA_BYTES).digest('base64'),
      file_size: MEDIA_BYTES.length,
      id,
    },
  });
}

function unsupported(method: string, id: string): GraphAnswer {
  return graphError(100, {
    title: `Unsupported ${method.toLowerCase()} request`,
    details: `Unsupported ${method.toLowerCase()} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
  });
}
