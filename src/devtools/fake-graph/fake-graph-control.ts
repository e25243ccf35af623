import type { GraphAnswer } from './graph-error';
import { digitsOf, type FakeGraphState } from './fake-graph-state';
import type { FakeTemplateStore } from './fake-template-store';

/**
 * Read-only routes for local tools such as the terminal chat, which runs in another process than
 * the fake and cannot call its methods. They live under a prefix Graph API paths never start with,
 * need no token, and are not recorded (a tool polling them must not push real sends out of the
 * bounded record).
 *
 *   GET /_fake/sent?phoneNumberId=&to=&after=<seq>   accepted sends after position `after` (default 0)
 */
export const CONTROL_PREFIX = '/_fake/';

/** One accepted send as the control route shows it. */
export interface SentView {
  /** 1-based position among every send this fake accepted; pass the highest seen as `after`. */
  seq: number;
  at: string;
  phoneNumberId: string | undefined;
  to: string | undefined;
  wamid: string;
  type: string | undefined;
  /** The request body exactly as our app sent it. */
  body: unknown;
  /** For a template send: its body text with the parameters filled in, when the fake knows the template. */
  templateText?: string;
}

export interface SentFeed {
  /** The newest position so far, matching or not: the next `after`. */
  last: number;
  sends: SentView[];
}

export interface ControlContext {
  state: FakeGraphState;
  templates: FakeTemplateStore;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const fail = (status: number, message: string): GraphAnswer => ({ status, body: { error: { message } } });

export function controlRoute(ctx: ControlContext, method: string, pathname: string, query: Record<string, string>): GraphAnswer {
  if (pathname !== `${CONTROL_PREFIX}sent`) return fail(404, `No control route ${pathname}; there is GET ${CONTROL_PREFIX}sent`);
  if (method !== 'GET') return fail(405, `${CONTROL_PREFIX}sent is read-only: use GET`);
  const after = query.after === undefined || query.after === '' ? 0 : Number(query.after);
  if (!Number.isInteger(after) || after < 0) return fail(400, 'after must be a whole number');
  return { status: 200, body: sentFeed(ctx, { phoneNumberId: query.phoneNumberId || undefined, to: query.to || undefined, after }) };
}

function sentFeed(ctx: ControlContext, filter: { phoneNumberId?: string; to?: string; after: number }): SentFeed {
  const sends: SentView[] = [];
  for (const request of ctx.state.requests) {
    const seq = ctx.state.sendSeqOf(request);
    if (seq === undefined || seq <= filter.after || !request.wamid) continue;
    const body = isObject(request.body) ? request.body : {};
    const to = typeof body.to === 'string' ? body.to : undefined;
    if (filter.phoneNumberId !== undefined && request.phoneNumberId !== filter.phoneNumberId) continue;
    if (filter.to !== undefined && (to === undefined || digitsOf(to) !== digitsOf(filter.to))) continue;
    const type = typeof body.type === 'string' ? body.type : undefined;
    const templateText = type === 'template' ? renderTemplate(ctx, request.phoneNumberId, body.template) : undefined;
    sends.push({
      seq,
      at: request.at.toISOString(),
      phoneNumberId: request.phoneNumberId,
      to,
      wamid: request.wamid,
      type,
      body: request.body,
      ...(templateText !== undefined ? { templateText } : {}),
    });
  }
  return { last: ctx.state.lastSendSeq, sends };
}

/** The template's BODY text with `{{1}}` / `{{name}}` replaced by the send's body parameters. */
function renderTemplate(ctx: ControlContext, phoneNumberId: string | undefined, sent: unknown): string | undefined {
  if (!phoneNumberId || !isObject(sent) || typeof sent.name !== 'string') return undefined;
  const wabaId = ctx.state.number(phoneNumberId).wabaId;
  if (!wabaId) return undefined;
  const language = isObject(sent.language) ? sent.language.code : undefined;
  const template = ctx.templates.templates(wabaId).find((t) => t.name === sent.name && (language === undefined || t.language === language));
  const bodyComponent = template?.components.find((c) => isObject(c) && String(c.type).toUpperCase() === 'BODY') as { text?: unknown } | undefined;
  if (typeof bodyComponent?.text !== 'string') return undefined;
  const sentBody = Array.isArray(sent.components) ? sent.components.find((c) => isObject(c) && String(c.type).toLowerCase() === 'body') : undefined;
  const parameters: Record<string, unknown>[] = isObject(sentBody) && Array.isArray(sentBody.parameters) ? sentBody.parameters.filter(isObject) : [];
  return bodyComponent.text.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (placeholder, key: string) => {
    const parameter = /^\d+$/.test(key) ? parameters[Number(key) - 1] : parameters.find((p) => p.parameter_name === key);
    return typeof parameter?.text === 'string' ? parameter.text : placeholder;
  });
}
