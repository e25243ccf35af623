import { type FlowValue, type HttpNode } from './flow-definition';
import { FLOW_LIMITS } from './flow-limits';
import { clip, interpolate, interpolateDeep, type InterpolationScope } from './interpolation';
import { type FlowRun, type HttpRequestSpec } from './flow-run';

/**
 * The request an http node describes. The engine performs no I/O: a worker sends it with the
 * timeout and reports back through resumeAfterHttp. Values from variables are URL-encoded in the
 * URL (validation keeps placeholders out of the host), and header values lose line breaks, so a
 * customer's answer can neither redirect the request nor add headers.
 */
export function httpRequest(node: HttpNode, scope: InterpolationScope): HttpRequestSpec {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(node.headers ?? {})) {
    const rendered = interpolate(String(value), scope, { maxLength: FLOW_LIMITS.headerValue });
    headers[name] = clip(rendered.replace(/[\r\n\0]+/g, ' '), FLOW_LIMITS.headerValue);
  }
  return {
    method: node.method ?? 'GET',
    url: interpolate(node.url, scope, { encode: encodeURIComponent }),
    headers,
    body: node.body === undefined ? null : interpolateDeep(node.body, scope, FLOW_LIMITS.variableValue),
    timeoutMs: node.timeoutMs ?? FLOW_LIMITS.defaultTimeoutMs,
  };
}

const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * Saves a response body under `saveAs`: a scalar as it is, anything else as its JSON text. The
 * scalar top-level fields of an object body are also saved as `<saveAs>.<field>`, so conditions and
 * texts can use them (`{{order.status}}`).
 */
export function saveHttpResponse(run: FlowRun, saveAs: string, body: unknown): void {
  const value = scalar(body);
  run.setVariable(saveAs, value === undefined ? jsonText(body) : value);
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return;
  let saved = 0;
  for (const [field, value] of Object.entries(body)) {
    if (saved >= FLOW_LIMITS.responseFields) break;
    const fieldValue = scalar(value);
    if (fieldValue === undefined || !FIELD_NAME.test(field)) continue;
    run.setVariable(`${saveAs}.${field}`, fieldValue);
    saved += 1;
  }
}

function scalar(value: unknown): FlowValue | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  return value === undefined ? null : undefined;
}

function jsonText(value: unknown): string | null {
  try {
    return JSON.stringify(value) ?? null;
  } catch {
    // A cycle or a BigInt: nothing a JSON response can hold, so nothing to save.
    return null;
  }
}
