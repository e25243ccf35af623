/**
 * SQL assembled from pieces, each carrying its own bound values, so that a `?` and its value can
 * never drift apart however the pieces are combined. Values are always bound, never spliced in.
 */
export interface Fragment {
  readonly text: string;
  readonly params: readonly unknown[];
}

const isFragment = (value: unknown): value is Fragment =>
  typeof value === 'object' && value !== null && 'text' in value && 'params' in value && Array.isArray((value as Fragment).params);

/** Trusted SQL text (identifiers, keywords) with no values. */
export const raw = (text: string): Fragment => ({ text, params: [] });

/** `q\`a = ${value} and ${otherFragment}\``: values become `?` placeholders, fragments are inlined. */
export function q(strings: TemplateStringsArray, ...values: unknown[]): Fragment {
  let text = strings[0]!;
  const params: unknown[] = [];
  values.forEach((value, index) => {
    if (isFragment(value)) {
      text += value.text;
      params.push(...value.params);
    } else {
      text += '?';
      params.push(value);
    }
    text += strings[index + 1]!;
  });
  return { text, params };
}

export const join = (fragments: readonly Fragment[], separator: string): Fragment => ({
  text: fragments.map((fragment) => fragment.text).join(separator),
  params: fragments.flatMap((fragment) => fragment.params),
});
