/**
 * PostgreSQL text and jsonb cannot hold U+0000, and jsonb refuses lone UTF-16 surrogates, both of
 * which a customer's message may contain. Each becomes U+FFFD; every other code point is kept.
 */
export function safeText(value: string): string {
  // eslint-disable-next-line no-control-regex
  const withoutNul = value.includes('\u0000') ? value.replace(/\u0000/g, '\uFFFD') : value;
  return withoutNul.isWellFormed() ? withoutNul : withoutNul.toWellFormed();
}

/** `safeText` applied to every string (keys included) of a parsed JSON value. */
export function safeJson<T>(value: T): T {
  if (typeof value === 'string') return safeText(value) as T;
  if (Array.isArray(value)) return value.map((item) => safeJson(item)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [safeText(key), safeJson(item)])) as T;
  }
  return value;
}
