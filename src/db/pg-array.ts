/**
 * A PostgreSQL array literal, bound as one `?::type[]` value: a statement's parameters are limited
 * in number, an array's elements are not (a rebuild inserts thousands of rows in one statement).
 */
export function arrayLiteral(values: readonly (string | number | null)[]): string {
  const element = (value: string | number | null) =>
    value === null ? 'NULL' : typeof value === 'number' ? String(value) : `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
  return `{${values.map(element).join(',')}}`;
}
