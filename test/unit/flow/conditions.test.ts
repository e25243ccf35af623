import { asNumber, compare, evaluateCondition } from '../../../src/domain/flow/conditions';
import { type Condition, type FlowValue } from '../../../src/domain/flow/flow-definition';

const vars: Record<string, FlowValue> = {
  age: 30,
  age_text: '30',
  price: '9.50',
  name: 'Ana Silva',
  email: 'ana@bigco.com',
  plan: 'Pro',
  vip: true,
  cleared: null,
  day: '2025-03-01',
};
const lookup = (name: string): FlowValue => (Object.hasOwn(vars, name) ? vars[name]! : null);
const holds = (condition: Condition) => evaluateCondition(condition, lookup);

describe('comparison operators', () => {
  describe('==', () => {
    it.each([
      ['a number and a number', 'age', 30, true],
      ['a number and a numeric string', 'age', '30', true],
      ['a numeric string and a number', 'age_text', 30.0, true],
      ['numeric strings by value', 'price', '9.5', true],
      ['different numbers', 'age', 31, false],
      ['text, case-insensitively', 'plan', 'pro', true],
      ['different text', 'plan', 'Basic', false],
      ['a boolean', 'vip', true, true],
      ['a boolean and its text', 'vip', 'TRUE', true],
      ['a boolean and the other boolean', 'vip', false, false],
      ['a number and a word', 'age', 'thirty', false],
    ])('compares %s', (_, variable, value, expected) => {
      expect(holds({ var: variable, op: '==', value })).toBe(expected);
    });
  });

  describe('!=', () => {
    it.each([
      ['numbers', 'age', 31, true],
      ['equal numbers in another spelling', 'age', '30.0', false],
      ['text, case-insensitively', 'plan', 'PRO', false],
      ['different text', 'plan', 'Basic', true],
    ])('compares %s', (_, variable, value, expected) => {
      expect(holds({ var: variable, op: '!=', value })).toBe(expected);
    });
  });

  describe('>, <, >=, <=', () => {
    it.each([
      ['age', '>', 29, true],
      ['age', '>', 30, false],
      ['age', '>=', 30, true],
      ['age', '<', 30, false],
      ['age', '<=', '30', true],
      ['age_text', '<', 100, true], // as numbers: '30' < 100, where as text '30' > '100'
      ['price', '>', '10', false],
      ['price', '<', 10, true],
    ] as const)('%s %s %j is %s (numbers)', (variable, op, value, expected) => {
      expect(holds({ var: variable, op, value })).toBe(expected);
    });

    it.each([
      ['day', '>', '2025-02-28', true],
      ['day', '<', '2025-12-31', true],
      ['day', '<', '2025-02-28', false],
      ['day', '>=', '2025-03-01', true],
      ['day', '<=', '2025-03-01', true],
      ['plan', '>', 'basic', true], // alphabetical, case-insensitive: pro > basic
      ['plan', '<', 'basic', false],
    ] as const)('%s %s %j is %s (text, alphabetical)', (variable, op, value, expected) => {
      expect(holds({ var: variable, op, value })).toBe(expected);
    });

    it.each([
      ['a number against a word', 'age', '>', 'abc'],
      ['a word against a number', 'plan', '<', 5],
      ['a boolean', 'vip', '>=', 'true'],
      ['a value that is a boolean', 'plan', '<=', true],
    ] as const)('never hold for %s', (_, variable, op, value) => {
      expect(holds({ var: variable, op, value })).toBe(false);
    });

    it('never hold against a list (an unvalidated definition)', () => {
      expect(holds({ var: 'age', op: '>', value: [1] })).toBe(false);
    });
  });

  describe('in and not_in', () => {
    it.each([
      ['plan', ['Basic', 'pro'], true],
      ['plan', ['Basic', 'Enterprise'], false],
      ['age', [10, '30'], true],
      ['age_text', [30], true],
      ['vip', [true], true],
    ] as const)('%s in %j is %s', (variable, value, expected) => {
      expect(holds({ var: variable, op: 'in', value: [...value] })).toBe(expected);
      expect(holds({ var: variable, op: 'not_in', value: [...value] })).toBe(!expected);
    });

    it('treat a single value (an unvalidated definition) as not a list', () => {
      expect(holds({ var: 'plan', op: 'in', value: 'Pro' })).toBe(false);
      expect(holds({ var: 'plan', op: 'not_in', value: 'Pro' })).toBe(true);
    });
  });

  describe('contains', () => {
    it.each([
      ['email', '@BigCo.com', true],
      ['email', '@other.com', false],
      ['name', 'silva', true],
      ['age', 3, true],
      ['vip', 'ru', true],
    ] as const)('%s contains %j is %s', (variable, value, expected) => {
      expect(holds({ var: variable, op: 'contains', value })).toBe(expected);
    });

    it('does not take a list (an unvalidated definition)', () => {
      expect(holds({ var: 'email', op: 'contains', value: ['ana'] })).toBe(false);
    });
  });

  describe('missing variables', () => {
    it.each(['==', '>', '<', '>=', '<=', 'in', 'contains'] as const)('compare false with %s', (op) => {
      const value = op === 'in' ? ['x'] : 'x';
      expect(holds({ var: 'missing', op, value })).toBe(false);
      expect(holds({ var: 'cleared', op, value })).toBe(false);
    });

    it.each(['!=', 'not_in'] as const)('hold with %s', (op) => {
      const value = op === 'not_in' ? ['x'] : 'x';
      expect(holds({ var: 'missing', op, value })).toBe(true);
    });

    it('are found with == null and told apart with != null', () => {
      expect(holds({ var: 'missing', op: '==', value: null })).toBe(true);
      expect(holds({ var: 'cleared', op: '==', value: null })).toBe(true);
      expect(holds({ var: 'plan', op: '==', value: null })).toBe(false);
      expect(holds({ var: 'missing', op: '!=', value: null })).toBe(false);
      expect(holds({ var: 'plan', op: '!=', value: null })).toBe(true);
      expect(holds({ var: 'plan', op: '>', value: null })).toBe(false);
    });

    it('never throw, even for contact or prototype names', () => {
      expect(holds({ var: 'constructor', op: '==', value: 'x' })).toBe(false);
      expect(holds({ var: '__proto__', op: 'contains', value: 'Object' })).toBe(false);
    });
  });

  it('an unknown operator (an unvalidated definition) never holds', () => {
    expect(compare('a', 'like' as never, 'a')).toBe(false);
  });
});

describe('groups', () => {
  const yes: Condition = { var: 'plan', op: '==', value: 'Pro' };
  const no: Condition = { var: 'plan', op: '==', value: 'Basic' };

  it('all holds when every item holds', () => {
    expect(holds({ all: [yes, yes] })).toBe(true);
    expect(holds({ all: [yes, no] })).toBe(false);
  });

  it('any holds when one item holds', () => {
    expect(holds({ any: [no, yes] })).toBe(true);
    expect(holds({ any: [no, no] })).toBe(false);
  });

  it('nest', () => {
    const vipOrBig: Condition = {
      any: [
        { var: 'email', op: 'contains', value: '@bigco.com' },
        { all: [{ var: 'age', op: '>=', value: 50 }, { any: [no, yes] }] },
      ],
    };
    expect(holds(vipOrBig)).toBe(true);
    expect(holds({ all: [vipOrBig, { any: [no, { all: [yes, { var: 'vip', op: '!=', value: true }] }] }] })).toBe(false);
  });

  it('stop evaluating past the depth limit (an unvalidated definition) and hold false', () => {
    let deep: Condition = yes;
    for (let i = 0; i < 9; i += 1) deep = { all: [deep] };
    expect(holds(deep)).toBe(false);
    let shallow: Condition = yes;
    for (let i = 0; i < 8; i += 1) shallow = { all: [shallow] };
    expect(holds(shallow)).toBe(true);
  });
});

describe('asNumber', () => {
  it.each([
    [42, 42],
    ['42', 42],
    [' -1.5 ', -1.5],
    ['1e3', 1000],
    ['.5', 0.5],
    ['5.', 5],
    ['', null],
    [' ', null],
    ['abc', null],
    ['12abc', null],
    [true, null],
    [Number.NaN, null],
    [Number.POSITIVE_INFINITY, null],
    ['1e999', null],
    ['1'.repeat(65), null],
  ])('reads %j as %j', (value, expected) => {
    expect(asNumber(value as string | number | boolean)).toBe(expected);
  });
});
