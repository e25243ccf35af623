import { charLength, describeType, isPlainObject } from '../../outbound-limits';
import { HTTP_METHODS } from '../flow-definition';
import { FLOW_LIMITS } from '../flow-limits';
import { checkInteger, checkKnownFields, checkTarget, checkText, checkVariableName, isAbsent, readObject, shownKey } from './field-checks';
import { type Report } from './flow-problems';

const HTTP_FIELDS = ['id', 'type', 'method', 'url', 'headers', 'body', 'saveAs', 'timeoutMs', 'next', 'onError'] as const;
/** RFC 9110 token characters. */
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
/** Scheme and host, with no credentials; placeholders may only follow it. */
const ORIGIN = /^https?:\/\/[^/?#\s{}@]+(?:[/?#]|$)/i;

/** An HTTP request a worker performs; its outcome continues to `next` or `onError`. */
export function checkHttpNode(report: Report, node: Record<string, unknown>): void {
  checkKnownFields(report, node, HTTP_FIELDS);
  const method = node.method;
  if (!isAbsent(method) && !HTTP_METHODS.includes(method as never)) report('method', `must be one of ${HTTP_METHODS.join(', ')}`);
  checkUrl(report, node.url);
  checkHeaders(report, node.headers);
  if (!isAbsent(node.body)) {
    if (isAbsent(method) || method === 'GET') report('body', 'is not sent with GET: use POST, PUT, PATCH or DELETE');
    else checkJson(report, node.body);
  }
  checkVariableName(report, 'saveAs', node.saveAs, false);
  checkInteger(report, 'timeoutMs', node.timeoutMs, FLOW_LIMITS.timeoutMsMin, FLOW_LIMITS.timeoutMsMax);
  checkTarget(report, 'next', node.next, 'an http node continues to next when the request succeeds');
  checkTarget(report, 'onError', node.onError, false);
}

function checkUrl(report: Report, value: unknown): void {
  const url = checkText(report, 'url', value, { max: FLOW_LIMITS.url });
  if (url === undefined) return;
  const open = url.indexOf('{{');
  // A placeholder in the host would let a variable choose where the request goes.
  const fixed = open === -1 ? url : url.slice(0, open);
  const origin = ORIGIN.exec(fixed);
  if (!origin || (open !== -1 && !/[/?#]$/.test(origin[0]))) {
    report('url', 'must be an http:// or https:// URL whose host is written out (placeholders only in the path or query)');
    return;
  }
  try {
    new URL(url.replaceAll('{{', '').replaceAll('}}', ''));
  } catch {
    report('url', 'is not a valid URL');
  }
}

function checkHeaders(report: Report, value: unknown): void {
  const headers = readObject(report, 'headers', value);
  if (!headers) return;
  const entries = Object.entries(headers);
  if (entries.length > FLOW_LIMITS.headers) report('headers', `must have at most ${FLOW_LIMITS.headers} headers (got ${entries.length})`);
  for (const [name, header] of entries.slice(0, FLOW_LIMITS.headers)) {
    const field = `headers.${shownKey(name)}`;
    if (name.length > FLOW_LIMITS.headerName || !HEADER_NAME.test(name)) report(field, 'is not a valid header name');
    else checkText(report, field, header, { max: FLOW_LIMITS.headerValue });
  }
}

/** JSON values only, at most FLOW_LIMITS.bodyDepth levels and bodyValues values; walked with an explicit stack. */
function checkJson(report: Report, body: unknown): void {
  const stack: { value: unknown; depth: number }[] = [{ value: body, depth: 0 }];
  let values = 0;
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!;
    values += 1;
    if (typeof value === 'string') {
      if (charLength(value, FLOW_LIMITS.variableValue) > FLOW_LIMITS.variableValue) {
        report('body', `must not hold texts longer than ${FLOW_LIMITS.variableValue} characters`);
        return;
      }
    } else if (typeof value === 'number' ? !Number.isFinite(value) : value !== null && typeof value !== 'boolean' && !Array.isArray(value) && !isPlainObject(value)) {
      report('body', `must be JSON: ${describeType(value)} is not a JSON value`);
      return;
    } else if (Array.isArray(value) || isPlainObject(value)) {
      if (depth >= FLOW_LIMITS.bodyDepth) {
        report('body', `nests too deeply: at most ${FLOW_LIMITS.bodyDepth} levels`);
        return;
      }
      const items = Object.values(value);
      if (values + stack.length + items.length > FLOW_LIMITS.bodyValues) {
        report('body', `must hold at most ${FLOW_LIMITS.bodyValues} values`);
        return;
      }
      for (const item of items) stack.push({ value: item, depth: depth + 1 });
    }
  }
}
