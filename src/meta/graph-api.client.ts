import { GraphApiError, GraphUnknownOutcomeError, GraphUnreachableError } from './graph-api.errors';
import { HttpTransportError, httpRequest, type HttpAnswer } from './http-transport';

export interface GraphApiOptions {
  /** e.g. https://graph.facebook.com/v25.0 (META_GRAPH_URL). */
  baseUrl: string;
  /** Per request; default 10 s. */
  timeoutMs?: number;
}

export interface SendResult {
  wamid: string;
  /** Meta's `message_status` for paced templates, when present. */
  messageStatus: string | null;
}

export interface TemplatePage {
  data: Record<string, unknown>[];
  after: string | null;
}

/** Errors raised before any byte left: the request can safely be tried again. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** The Graph API calls we make, with the channel's token as Bearer and a bounded timeout. */
export class GraphApiClient {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;

  constructor(options: GraphApiOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 10_000;
    if (!/^https?:$/.test(new URL(this.baseUrl).protocol)) throw new Error(`The Graph API base URL must be http(s): ${this.baseUrl}`);
  }

  async sendMessage(phoneNumberId: string, token: string, body: Record<string, unknown>): Promise<SendResult> {
    const answer = await this.request<{ messages?: { id?: string; message_status?: string }[] }>('POST', `/${phoneNumberId}/messages`, token, body);
    const message = answer.messages?.[0];
    if (!message?.id) throw new GraphUnknownOutcomeError('Meta answered 200 without a message id');
    return { wamid: message.id, messageStatus: message.message_status ?? null };
  }

  async markRead(phoneNumberId: string, token: string, wamid: string, typing = false): Promise<void> {
    await this.request('POST', `/${phoneNumberId}/messages`, token, {
      messaging_product: 'whatsapp',
      status: 'read',
      message_id: wamid,
      ...(typing ? { typing_indicator: { type: 'text' } } : {}),
    });
  }

  async createTemplate(wabaId: string, token: string, definition: Record<string, unknown>): Promise<{ id: string; status: string | null; category: string | null }> {
    const answer = await this.request<{ id?: unknown; status?: string; category?: string }>('POST', `/${wabaId}/message_templates`, token, definition);
    if (answer.id === undefined || answer.id === null) throw new GraphUnknownOutcomeError('Meta answered without a template id');
    return { id: String(answer.id), status: answer.status ?? null, category: answer.category ?? null };
  }

  async listTemplates(wabaId: string, token: string, after?: string | null, limit = 100): Promise<TemplatePage> {
    const query = new URLSearchParams({ limit: String(limit), fields: 'id,name,language,status,category,components,quality_score,rejected_reason' });
    if (after) query.set('after', after);
    const answer = await this.request<{ data?: Record<string, unknown>[]; paging?: { cursors?: { after?: string }; next?: string } }>(
      'GET',
      `/${wabaId}/message_templates?${query}`,
      token,
    );
    return { data: answer.data ?? [], after: answer.paging?.next ? (answer.paging.cursors?.after ?? null) : null };
  }

  async deleteTemplate(wabaId: string, token: string, name: string, templateId?: string | null): Promise<void> {
    const query = new URLSearchParams({ name });
    if (templateId) query.set('hsm_id', templateId);
    await this.request('DELETE', `/${wabaId}/message_templates?${query}`, token);
  }

  async getMedia(mediaId: string, token: string): Promise<{ url: string; mime_type: string; sha256: string; file_size: number }> {
    return this.request('GET', `/${encodeURIComponent(mediaId)}`, token);
  }

  private async request<T = Record<string, unknown>>(method: string, path: string, token: string, body?: unknown): Promise<T> {
    let answer: HttpAnswer;
    try {
      answer = await httpRequest(new URL(`${this.baseUrl}${path}`), {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
        timeoutMs: this.timeoutMs,
      });
    } catch (error) {
      const code = error instanceof HttpTransportError ? error.code : null;
      if (code && NOT_SENT.has(code)) throw new GraphUnreachableError(code);
      throw new GraphUnknownOutcomeError((error as Error).message);
    }
    let parsed: unknown = null;
    try {
      parsed = answer.text ? JSON.parse(answer.text) : null;
    } catch {
      parsed = null;
    }
    if (answer.status < 200 || answer.status > 299) throw GraphApiError.fromResponse(answer.status, parsed);
    return (parsed ?? {}) as T;
  }
}
