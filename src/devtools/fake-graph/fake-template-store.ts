import { randomBytes } from 'node:crypto';
import { graphError, invalidParameter, type GraphAnswer } from './graph-error';

/**
 * Message templates per WABA, behind `/{waba_id}/message_templates` (notes/meta-cloud-api.md
 * section 10): create (always PENDING until told otherwise), list with Meta's cursor paging, delete
 * by name or by name and `hsm_id`.
 */

export interface FakeTemplate {
  /** Meta's template id: 16 digits, above 2^53, so a client that parses it as a number loses it. */
  id: string;
  name: string;
  language: string;
  status: string;
  category: string;
  components: unknown[];
  parameter_format?: string;
  /** Why Meta rejected it (INVALID_FORMAT, TAG_CONTENT_MISMATCH, ...); Meta says NONE otherwise. */
  rejected_reason?: string;
}

export type TemplateSeed = Omit<FakeTemplate, 'id' | 'status'> & { id?: string; status?: string };

interface Stored extends FakeTemplate {
  /** Creation order; cursors point at it, so deleting a template does not break paging. */
  seq: number;
}

const CATEGORIES = new Set(['MARKETING', 'UTILITY', 'AUTHENTICATION']);
const NAME = /^[a-z0-9_]{1,512}$/;
const DEFAULT_FIELDS = ['name', 'parameter_format', 'components', 'language', 'status', 'category', 'id'];
const DEFAULT_LIMIT = 25;
const MAX_LIMIT = 1000;

/** Meta's cursors are opaque base64 strings. */
const cursorOf = (seq: number) => Buffer.from(`seq:${seq}`).toString('base64url');
function seqOf(cursor: string): number | null {
  const match = /^seq:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString());
  return match ? Number(match[1]) : null;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export class FakeTemplateStore {
  private readonly byWaba = new Map<string, Stored[]>();
  private readonly ids = new Set<string>();
  private seq = 0;

  add(wabaId: string, seed: TemplateSeed): FakeTemplate {
    const id = seed.id ?? this.newId();
    this.ids.add(id);
    const stored: Stored = { ...seed, id, status: seed.status ?? 'APPROVED', components: seed.components ?? [], rejected_reason: seed.rejected_reason ?? 'NONE', seq: this.seq++ };
    this.list(wabaId).push(stored);
    return publicView(stored);
  }

  templates(wabaId: string): FakeTemplate[] {
    return this.list(wabaId).map(publicView);
  }

  find(id: string): { wabaId: string; template: FakeTemplate } | undefined {
    for (const [wabaId, list] of this.byWaba) {
      const found = list.find((template) => template.id === id);
      if (found) return { wabaId, template: publicView(found) };
    }
    return undefined;
  }

  setStatus(wabaId: string, id: string, status: string): FakeTemplate {
    const template = this.list(wabaId).find((candidate) => candidate.id === id);
    if (!template) throw new Error(`fake Graph API: WABA ${wabaId} has no template ${id}`);
    template.status = status;
    return publicView(template);
  }

  /** `POST /{waba_id}/message_templates`. */
  create(wabaId: string, body: unknown): GraphAnswer & { created?: FakeTemplate } {
    if (!isObject(body)) return invalidParameter('The request body must be a JSON object.');
    const { name, language, category, components } = body;
    if (typeof name !== 'string' || !NAME.test(name)) return invalidParameter("Param name must be 1-512 characters of lowercase letters, digits and underscores.");
    if (typeof language !== 'string' || !language) return invalidParameter('Param language is required.');
    if (typeof category !== 'string' || !CATEGORIES.has(category)) return invalidParameter('Param category must be one of MARKETING, UTILITY, AUTHENTICATION.');
    if (!Array.isArray(components) || !components.length) return invalidParameter('Param components must be a non-empty array.');
    if (this.list(wabaId).some((template) => template.name === name && template.language === language)) {
      return graphError(100, { details: `There is already ${language} content for this template. You can create a new template and try again.` });
    }
    const format = typeof body.parameter_format === 'string' ? body.parameter_format.toUpperCase() : 'POSITIONAL';
    const created = this.add(wabaId, { name, language, category, components, status: 'PENDING', parameter_format: format });
    return { status: 200, body: { id: created.id, status: created.status, category: created.category }, created };
  }

  /** `GET /{waba_id}/message_templates?limit&after&before&fields&status&category&language&name`. */
  page(wabaId: string, query: Record<string, string>, pageUrl: (params: Record<string, string>) => string): GraphAnswer {
    const limit = query.limit === undefined ? DEFAULT_LIMIT : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1) return invalidParameter('Param limit must be a positive integer.');
    const after = query.after !== undefined ? seqOf(query.after) : undefined;
    const before = query.before !== undefined ? seqOf(query.before) : undefined;
    if (after === null || before === null) return invalidParameter('The cursor is not valid.');

    const filtered = this.list(wabaId).filter((t) => matchesFilters(t, query));
    let window = filtered.filter((t) => (after === undefined || t.seq > after) && (before === undefined || t.seq < before));
    const size = Math.min(limit, MAX_LIMIT);
    window = before !== undefined && after === undefined ? window.slice(-size) : window.slice(0, size);
    if (!window.length) return { status: 200, body: { data: [] } };

    const fields = query.fields ? [...new Set([...query.fields.split(',').map((f) => f.trim()), 'id'])] : DEFAULT_FIELDS;
    const first = window[0]!.seq;
    const last = window[window.length - 1]!.seq;
    const paging: Record<string, unknown> = { cursors: { before: cursorOf(first), after: cursorOf(last) } };
    const rest = (({ after: _a, before: _b, ...others }) => others)(query);
    if (filtered.some((t) => t.seq > last)) paging.next = pageUrl({ ...rest, limit: String(size), after: cursorOf(last) });
    if (filtered.some((t) => t.seq < first)) paging.previous = pageUrl({ ...rest, limit: String(size), before: cursorOf(first) });
    return { status: 200, body: { data: window.map((t) => pick(t, fields)), paging } };
  }

  /** `DELETE /{waba_id}/message_templates?name=X[&hsm_id=ID]`: every language of X, or that one id. */
  remove(wabaId: string, query: Record<string, string>): GraphAnswer {
    if (!query.name) return invalidParameter('Param name is required.');
    const list = this.list(wabaId);
    const doomed = list.filter((t) => t.name === query.name && (query.hsm_id === undefined || t.id === query.hsm_id));
    if (!doomed.length) return invalidParameter(`Message template "${query.name}" was not found.`);
    this.byWaba.set(wabaId, list.filter((t) => !doomed.includes(t)));
    for (const t of doomed) this.ids.delete(t.id);
    return { status: 200, body: { success: true } };
  }

  private list(wabaId: string): Stored[] {
    let list = this.byWaba.get(wabaId);
    if (!list) this.byWaba.set(wabaId, (list = []));
    return list;
  }

  private newId(): string {
    for (;;) {
      // 9.1e15 .. 1e16: always past Number.MAX_SAFE_INTEGER (9.007e15).
      const id = String(9_100_000_000_000_000n + (randomBytes(8).readBigUInt64BE() % 900_000_000_000_000n));
      if (!this.ids.has(id)) return id;
    }
  }
}

function matchesFilters(template: Stored, query: Record<string, string>): boolean {
  const same = (value: string, wanted: string | undefined) => wanted === undefined || wanted.split(',').some((w) => w.trim().toUpperCase() === value.toUpperCase());
  return (
    same(template.status, query.status) &&
    same(template.category, query.category) &&
    (query.language === undefined || template.language === query.language) &&
    (query.name === undefined || template.name.includes(query.name.toLowerCase()))
  );
}

function publicView({ seq: _seq, ...template }: Stored): FakeTemplate {
  return structuredClone(template);
}

function pick(template: Stored, fields: string[]): Record<string, unknown> {
  const view = publicView(template) as unknown as Record<string, unknown>;
  return Object.fromEntries(fields.filter((field) => view[field] !== undefined).map((field) => [field, view[field]]));
}
