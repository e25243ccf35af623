import { clip, interpolate, interpolateDeep, lookupVariable, valueAsText, type InterpolationScope } from '../../../src/domain/flow/interpolation';

const scope = (variables: InterpolationScope['variables'] = {}, name: string | null = 'Ana'): InterpolationScope => ({
  variables,
  contact: { name, phone: '5511999990001' },
});

describe('interpolate', () => {
  it('inserts saved variables, the contact and last_input', () => {
    const vars = { email: 'ana@example.com', last_input: 'hello' };
    expect(interpolate('Hi {{contact.name}} ({{contact.phone}}), {{email}} said {{last_input}}', scope(vars))).toBe(
      'Hi Ana (5511999990001), ana@example.com said hello',
    );
  });

  it('writes numbers and booleans as text, and null as nothing', () => {
    expect(interpolate('{{n}}|{{yes}}|{{no}}|{{nothing}}', scope({ n: 42.5, yes: true, no: false, nothing: null }))).toBe('42.5|true|false|');
  });

  it('renders unknown variables, a missing contact name and prototype names as empty text', () => {
    expect(interpolate('[{{unknown}}][{{contact.name}}][{{constructor}}][{{contact.email}}]', scope({}, null))).toBe('[][][][]');
  });

  it('allows spaces inside the braces', () => {
    expect(interpolate('Hi {{  name }}!', scope({ name: 'Bo' }))).toBe('Hi Bo!');
  });

  it('reads dotted names saved from an HTTP response', () => {
    expect(interpolate('{{order.status}}', scope({ 'order.status': 'shipped' }))).toBe('shipped');
  });

  it.each([
    ['a lone opening', 'a {{ b', 'a {{ b'],
    ['an unclosed placeholder at the end', 'total {{', 'total {{'],
    ['an invalid name', '{{1abc}} {{a b}} {{a-b}} {{.a}} {{a.}}', '{{1abc}} {{a b}} {{a-b}} {{.a}} {{a.}}'],
    ['single braces', '{x} }}', '{x} }}'],
    ['a closing brace alone', '{{name}', '{{name}'],
  ])('keeps braces that are not a placeholder: %s', (_, template, expected) => {
    expect(interpolate(template, scope({ name: 'X' }))).toBe(expected);
  });

  it('finds a placeholder right after stray braces', () => {
    expect(interpolate('{{{{name}}}}', scope({ name: 'X' }))).toBe('{{X}}');
  });

  describe('inserts values as text and never interpolates them again', () => {
    it.each([
      ['a placeholder', '{{email}}'],
      ['a contact placeholder', '{{contact.phone}}'],
      ['markup', '</script><script>alert(1)</script>'],
      ['nested braces', '{{{{last_input}}}}'],
    ])('%s typed by a customer comes out literally', (_, typed) => {
      const vars = { last_input: typed, email: 'secret@example.com' };
      expect(interpolate('You said: {{last_input}}', scope(vars))).toBe(`You said: ${typed}`);
    });

    it('even when a value holds a placeholder naming itself', () => {
      expect(interpolate('{{a}}', scope({ a: '{{a}}{{a}}' }))).toBe('{{a}}{{a}}');
    });
  });

  it('encodes inserted values (and only them) when asked', () => {
    const result = interpolate('https://x.test/a b/{{q}}', scope({ q: 'a/b?c=d&e' }), { encode: encodeURIComponent });
    expect(result).toBe('https://x.test/a b/a%2Fb%3Fc%3Dd%26e');
  });

  it('stops early once the result is longer than maxLength', () => {
    const result = interpolate('{{a}}{{a}}{{a}}{{a}}', scope({ a: 'x'.repeat(10) }), { maxLength: 15 });
    expect(result).toBe('x'.repeat(20));
  });

  it('handles a long run of openings before a placeholder', () => {
    const template = '{{'.repeat(50_000) + 'name}}';
    expect(interpolate(template, scope({ name: 'X' }))).toBe('{{'.repeat(49_999) + 'X');
  });
});

describe('lookupVariable and valueAsText', () => {
  it('reads own variables only', () => {
    expect(lookupVariable(scope({ a: 1 }), 'a')).toBe(1);
    expect(lookupVariable(scope({}), 'toString')).toBeNull();
    expect(lookupVariable(scope({}), 'contact.phone')).toBe('5511999990001');
  });

  it('treats a variable stored as undefined (not JSON) as null', () => {
    expect(lookupVariable(scope({ a: undefined as unknown as null }), 'a')).toBeNull();
  });

  it('writes values as text', () => {
    expect([valueAsText(null), valueAsText(0), valueAsText(false), valueAsText('x')]).toEqual(['', '0', 'false', 'x']);
  });
});

describe('clip', () => {
  it('keeps short text as is', () => {
    expect(clip('hello', 5)).toBe('hello');
  });

  it('cuts to code points, never inside an emoji', () => {
    expect(clip('ab😀😀', 3)).toBe('ab😀');
    expect(clip('😀😀😀', 2)).toBe('😀😀');
  });

  it('counts a lone surrogate as one character', () => {
    expect(clip('\uD83Dxyz', 2)).toBe('\uD83Dx');
    expect(clip('ab\uD83D', 2)).toBe('ab');
  });
});

describe('interpolateDeep', () => {
  it('interpolates every string of a JSON value, keys untouched', () => {
    const value = { '{{k}}': '{{k}}', list: ['{{k}}', 1, null, true, { deep: 'x{{k}}' }] };
    expect(interpolateDeep(value, scope({ k: 'v' }), 100)).toEqual({ '{{k}}': 'v', list: ['v', 1, null, true, { deep: 'xv' }] });
  });

  it('cuts each string to maxLength', () => {
    expect(interpolateDeep(['{{k}}{{k}}'], scope({ k: 'abcdef' }), 8)).toEqual(['abcdefab']);
  });

  it('keeps a __proto__ key as a plain key', () => {
    const value = JSON.parse('{"__proto__": "{{k}}"}') as unknown;
    const result = interpolateDeep(value, scope({ k: 'v' }), 100) as Record<string, unknown>;
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(result, '__proto__')?.value).toBe('v');
  });

  it('leaves values deeper than maxDepth as they are', () => {
    expect(interpolateDeep({ a: { b: '{{k}}' } }, scope({ k: 'v' }), 100, 1)).toEqual({ a: { b: '{{k}}' } });
  });
});
