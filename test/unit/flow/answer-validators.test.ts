import { checkAnswer, compilePattern } from '../../../src/domain/flow/answer-validators';
import { type AnswerValidator } from '../../../src/domain/flow/flow-definition';

const accepts = (validator: AnswerValidator | undefined, answer: string) => {
  const result = checkAnswer(validator, answer);
  if (!result.ok) throw new Error(`expected ${JSON.stringify(answer)} to be accepted by ${JSON.stringify(validator)}`);
  return result.value;
};
const refuses = (validator: AnswerValidator | undefined, answer: string) => expect(checkAnswer(validator, answer)).toEqual({ ok: false });

describe('checkAnswer', () => {
  describe('every validator', () => {
    it.each(['text', 'email', 'phone', 'number', 'choice', 'regex'] as const)('%s refuses a blank answer', (kind) => {
      refuses({ kind, options: ['a'], pattern: '.*' }, '   ');
    });
  });

  describe('text (the default)', () => {
    it('accepts any text and saves it trimmed', () => {
      expect(accepts(undefined, '  Ana Silva ')).toBe('Ana Silva');
      expect(accepts({ kind: 'text' }, '</script>{{email}}')).toBe('</script>{{email}}');
    });

    it('bounds the length with min and max, in characters', () => {
      const rule: AnswerValidator = { kind: 'text', min: 2, max: 3 };
      refuses(rule, 'a');
      expect(accepts(rule, 'ab')).toBe('ab');
      expect(accepts(rule, '😀😀😀')).toBe('😀😀😀');
      refuses(rule, 'abcd');
    });

    it('refuses answers longer than a variable can hold, even without max', () => {
      expect(accepts({ kind: 'text' }, 'x'.repeat(4096))).toHaveLength(4096);
      refuses({ kind: 'text' }, 'x'.repeat(4097));
      refuses({ kind: 'text', max: 10_000 }, 'x'.repeat(4097));
    });
  });

  describe('email', () => {
    it.each([
      ['ana@example.com', 'ana@example.com'],
      [' Ana.Silva+news@Mail.Example.CO.uk ', 'ana.silva+news@mail.example.co.uk'],
    ])('accepts %j and saves it lower-cased: %s', (answer, saved) => {
      expect(accepts({ kind: 'email' }, answer)).toBe(saved);
    });

    it.each(['ana', 'ana@', '@example.com', 'ana@example', 'ana@example.c', 'a b@example.com', 'ana@@example.com', 'ana@example..com', 'ana@.example.com'])(
      'refuses %j',
      (answer) => refuses({ kind: 'email' }, answer),
    );

    it('refuses an address longer than 254 characters', () => {
      refuses({ kind: 'email' }, `${'a'.repeat(250)}@example.com`);
    });
  });

  describe('phone', () => {
    it.each([
      ['+55 11 99999-0001', '5511999990001'],
      ['0044 20 7946 0958', '442079460958'],
      ['+1 (415) 555-0100', '14155550100'],
    ])('saves %j as E.164 digits: %s', (answer, saved) => {
      expect(accepts({ kind: 'phone' }, answer)).toBe(saved);
    });

    it.each(['12345', 'call me', '+0 11 99999 0001', '1-800-FLOWERS'])('refuses %j', (answer) => refuses({ kind: 'phone' }, answer));
  });

  describe('number', () => {
    it.each([
      ['42', 42],
      [' -3.5 ', -3.5],
      ['+7', 7],
      ['.5', 0.5],
      ['007', 7],
    ])('saves %j as the number %d', (answer, saved) => {
      expect(accepts({ kind: 'number' }, answer)).toBe(saved);
    });

    it.each(['abc', '1,000', '3,5', '1e3', '12 apples', '--1', '1.', 'Infinity', 'NaN', '0x10'])('refuses %j', (answer) =>
      refuses({ kind: 'number' }, answer),
    );

    it('bounds the value with min and max, inclusive', () => {
      const rule: AnswerValidator = { kind: 'number', min: 1, max: 10 };
      refuses(rule, '0.99');
      expect(accepts(rule, '1')).toBe(1);
      expect(accepts(rule, '10')).toBe(10);
      refuses(rule, '10.01');
    });

    it('accepts at most 32 characters', () => {
      expect(accepts({ kind: 'number' }, `1${'0'.repeat(31)}`)).toBe(1e31);
      refuses({ kind: 'number' }, `1${'0'.repeat(32)}`);
    });
  });

  describe('choice', () => {
    const rule: AnswerValidator = { kind: 'choice', options: ['Basic', 'Pro plan ', 'Enterprise'] };

    it('matches options case-insensitively and saves the option as written', () => {
      expect(accepts(rule, 'basic')).toBe('Basic');
      expect(accepts(rule, ' PRO PLAN')).toBe('Pro plan ');
    });

    it('refuses anything else', () => {
      refuses(rule, 'Premium');
      refuses(rule, 'Bas');
      refuses({ kind: 'choice' }, 'Basic');
    });
  });

  describe('regex', () => {
    const rule: AnswerValidator = { kind: 'regex', pattern: '^[A-Z]{3}-\\d{4}$' };

    it('accepts a match and saves the trimmed answer', () => {
      expect(accepts(rule, ' ABC-1234 ')).toBe('ABC-1234');
    });

    it('refuses a mismatch', () => {
      refuses(rule, 'abc-1234');
      refuses(rule, 'ABC-12345');
    });

    it('searches the answer when the pattern is not anchored', () => {
      expect(accepts({ kind: 'regex', pattern: '\\d{3}' }, 'order 123 please')).toBe('order 123 please');
    });

    it('refuses answers longer than 4096 characters without running the pattern', () => {
      refuses({ kind: 'regex', pattern: '.' }, 'x'.repeat(4097));
    });

    it('refuses everything when the pattern is missing or does not compile (an unvalidated definition)', () => {
      refuses({ kind: 'regex' }, 'x');
      refuses({ kind: 'regex', pattern: '(' }, 'x');
    });
  });

  it('refuses everything for an unknown validator kind (an unvalidated definition)', () => {
    refuses({ kind: 'date' as never }, '2025-01-01');
  });
});

describe('compilePattern', () => {
  it('returns the RegExp, or null when the pattern does not compile', () => {
    expect(compilePattern('^a+$')?.test('aaa')).toBe(true);
    expect(compilePattern('[')).toBeNull();
  });
});
