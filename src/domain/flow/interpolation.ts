import { type FlowValue } from './flow-definition';

/** What `{{...}}` placeholders read: the session's variables and the contact. */
export interface InterpolationScope {
  variables: Readonly<Record<string, FlowValue>>;
  contact: { name: string | null; phone: string };
}

/**
 * A variable's value: `contact.name` and `contact.phone` from the contact, anything else from the
 * session's own variables. Unknown names are null, never an error; inherited properties such as
 * `constructor` are never read.
 */
export function lookupVariable(scope: InterpolationScope, name: string): FlowValue {
  if (name === 'contact.name') return scope.contact.name;
  if (name === 'contact.phone') return scope.contact.phone;
  return Object.hasOwn(scope.variables, name) ? (scope.variables[name] ?? null) : null;
}

/** How a value reads inside text: null as nothing, numbers and booleans as written. */
export function valueAsText(value: FlowValue): string {
  return value === null ? '' : String(value);
}

export interface InterpolateOptions {
  /** Applied to each inserted value, e.g. encodeURIComponent for a URL. */
  encode?: (value: string) => string;
  /** Stop once the result passes this many characters (UTF-16 units); `clip` it afterwards. */
  maxLength?: number;
}

const NAME_CHAR = /[A-Za-z0-9_.]/;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/**
 * Replaces `{{name}}` (spaces allowed inside the braces) with the variable's text, in one linear
 * pass over `template`. Inserted values are never scanned again, so a customer who types
 * `{{email}}` or `</script>` gets exactly that back. Braces that do not form a placeholder stay
 * as written; an unknown variable renders as ''.
 */
export function interpolate(template: string, scope: InterpolationScope, options: InterpolateOptions = {}): string {
  const maxLength = options.maxLength ?? Number.POSITIVE_INFINITY;
  let out = '';
  let at = 0;
  while (at < template.length && out.length <= maxLength) {
    const open = template.indexOf('{{', at);
    if (open === -1) {
      out += template.slice(at);
      break;
    }
    const placeholder = readPlaceholder(template, open);
    if (placeholder === null) {
      out += template.slice(at, open + 2);
      at = open + 2;
      continue;
    }
    const text = valueAsText(lookupVariable(scope, placeholder.name));
    out += template.slice(at, open) + (options.encode ? options.encode(text) : text);
    at = placeholder.end;
  }
  return out;
}

/** The placeholder opening at `open`, scanning only its own characters (so the whole pass stays linear). */
function readPlaceholder(template: string, open: number): { name: string; end: number } | null {
  let i = open + 2;
  while (template[i] === ' ') i += 1;
  const nameStart = i;
  while (i < template.length && NAME_CHAR.test(template[i]!)) i += 1;
  const name = template.slice(nameStart, i);
  while (template[i] === ' ') i += 1;
  if (template[i] !== '}' || template[i + 1] !== '}' || !NAME.test(name)) return null;
  return { name, end: i + 2 };
}

/** Cuts `text` to at most `max` Unicode code points, never inside a surrogate pair. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let units = 0;
  for (let points = 0; points < max && units < text.length; points += 1) {
    const code = text.charCodeAt(units);
    const pair = code >= 0xd800 && code <= 0xdbff && units + 1 < text.length;
    units += pair && isLowSurrogate(text.charCodeAt(units + 1)) ? 2 : 1;
  }
  return text.slice(0, units);
}

const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/**
 * Interpolates every string inside a JSON-like value (template parameters, an HTTP body), keys
 * untouched. Depth is bounded by validation; past `maxDepth` values are kept as they are.
 */
export function interpolateDeep(value: unknown, scope: InterpolationScope, maxLength: number, maxDepth = 16): unknown {
  if (typeof value === 'string') return clip(interpolate(value, scope, { maxLength }), maxLength);
  if (maxDepth <= 0 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => interpolateDeep(item, scope, maxLength, maxDepth - 1));
  const result: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    // defineProperty, so that a key named __proto__ stays a plain key.
    Object.defineProperty(result, key, {
      value: interpolateDeep(item, scope, maxLength, maxDepth - 1),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return result;
}
