import { validateFlow } from '../../../src/domain/flow/flow-validation';
import { SAMPLE_FLOW } from '../../../src/domain/flow/sample-flow';
import { expectValid, problemsOf } from './validation-fixtures';

/** DESIGN.md section 11's example, verbatim. */
const SECTION_11_EXAMPLE = {
  start: 'welcome',
  sessionTtlMinutes: 1440,
  nodes: [
    {
      id: 'welcome',
      type: 'message',
      text: 'Hi {{contact.name}}! How can we help?',
      buttons: [
        { id: 'sales', title: 'Sales', next: 'ask_email' },
        { id: 'support', title: 'Support', next: 'agent' },
      ],
      retryText: 'Please tap one of the buttons',
      maxAttempts: 3,
      onInvalid: 'agent',
    },
    {
      id: 'ask_email',
      type: 'question',
      text: 'What is your email?',
      validate: { kind: 'email' },
      saveAs: 'email',
      retryText: 'That does not look like an email, try again',
      maxAttempts: 3,
      next: 'route',
      onInvalid: 'agent',
    },
    {
      id: 'route',
      type: 'condition',
      branches: [{ when: { all: [{ var: 'email', op: 'contains', value: '@bigco.com' }] }, next: 'vip' }],
      else: 'thanks',
    },
    { id: 'vip', type: 'set', var: 'tier', value: 'vip', next: 'agent' },
    { id: 'agent', type: 'handoff', text: 'Connecting you to a person...' },
    { id: 'thanks', type: 'end', text: 'Thanks, we will write to {{email}} soon.' },
  ],
};

const tiny = (extra: Record<string, unknown> = {}) => ({ start: 'a', nodes: [{ id: 'a', type: 'end' }], ...extra });

/** A chain n0 -> n1 -> ... -> end of `count` nodes. */
const chain = (count: number) => ({
  start: 'n0',
  nodes: Array.from({ length: count }, (_, i) => (i === count - 1 ? { id: `n${i}`, type: 'end' } : { id: `n${i}`, type: 'set', var: 'x', value: i, next: `n${i + 1}` })),
});

describe('validateFlow: valid definitions', () => {
  it("accepts section 11's example and returns it as the definition", () => {
    const result = validateFlow(SECTION_11_EXAMPLE);
    expect(result).toEqual({ ok: true, definition: SECTION_11_EXAMPLE });
  });

  it('accepts the sample flow, which uses every node type and validator', () => {
    expectValid(JSON.parse(JSON.stringify(SAMPLE_FLOW)));
    const types = new Set(SAMPLE_FLOW.nodes.map((node) => node.type));
    expect([...types].sort()).toEqual(['condition', 'end', 'handoff', 'http', 'jump', 'message', 'question', 'set', 'template']);
    const kinds = new Set(SAMPLE_FLOW.nodes.flatMap((node) => (node.type === 'question' && node.validate ? [node.validate.kind] : [])));
    expect([...kinds].sort()).toEqual(['choice', 'email', 'number', 'phone', 'regex', 'text']);
  });

  it('accepts a flow of exactly 500 nodes', () => {
    expectValid(chain(500));
  });

  it('accepts null for optional fields, as omitted', () => {
    expectValid({ start: 'a', sessionTtlMinutes: null, triggers: null, nodes: [{ id: 'a', type: 'end', text: null }] });
  });
});

describe('validateFlow: the definition', () => {
  it.each([
    ['null', null],
    ['a list', []],
    ['a string', '{"start":"a"}'],
  ])('must be an object, not %s', (_, definition) => {
    expect(problemsOf(definition)).toEqual([{ nodeId: null, field: 'definition', message: expect.stringContaining('must be an object') }]);
  });

  it('may hold only start, nodes, sessionTtlMinutes and triggers', () => {
    expect(problemsOf(tiny({ version: 2, Start: 'a' }))).toEqual([
      { nodeId: null, field: 'version', message: 'is not a known field here (known: start, nodes, sessionTtlMinutes, triggers)' },
      { nodeId: null, field: 'Start', message: expect.stringContaining('is not a known field') },
    ]);
  });

  it('cuts a megabyte-long unknown key in the problem', () => {
    const [problem] = problemsOf(tiny({ ['k'.repeat(1_000_000)]: 1 }));
    expect(problem!.field).toBe(`${'k'.repeat(60)}…`);
  });

  describe('start', () => {
    it('is required', () => {
      expect(problemsOf({ nodes: [{ id: 'a', type: 'end' }] })).toContainEqual({ nodeId: null, field: 'start', message: 'is required' });
    });

    it('must be a string', () => {
      expect(problemsOf(tiny({ start: 1 }))).toContainEqual({ nodeId: null, field: 'start', message: 'must be a string, not a number' });
    });

    it('must name a node of the flow', () => {
      expect(problemsOf(tiny({ start: 'b' }))).toEqual([{ nodeId: null, field: 'start', message: 'names "b", which is not a node of this flow' }]);
    });
  });

  describe('nodes', () => {
    it.each([
      ['missing', undefined, 'is required'],
      ['not a list', { a: {} }, 'must be a list, not an object'],
      ['empty', [], 'must have at least 1 node'],
    ])('are refused when %s', (_, nodes, message) => {
      expect(problemsOf({ start: 'a', nodes })).toContainEqual({ nodeId: null, field: 'nodes', message });
    });

    it('are at most 500', () => {
      expect(problemsOf(chain(501))).toEqual([{ nodeId: null, field: 'nodes', message: 'must have at most 500 nodes (got 501)' }]);
    });

    it('are refused at 10,000, with the graph still walked (no recursion, no stack overflow)', () => {
      expect(problemsOf(chain(10_000))).toEqual([{ nodeId: null, field: 'nodes', message: 'must have at most 500 nodes (got 10000)' }]);
    });

    it('must each be an object', () => {
      expect(problemsOf({ start: 'a', nodes: [{ id: 'a', type: 'end' }, 'b', null] })).toEqual([
        { nodeId: null, field: 'nodes[1]', message: 'must be an object, not a string' },
        { nodeId: null, field: 'nodes[2]', message: 'must be an object, not null' },
      ]);
    });
  });

  describe('sessionTtlMinutes', () => {
    it.each([1, 1440, 43_200])('accepts %d', (sessionTtlMinutes) => expectValid(tiny({ sessionTtlMinutes })));

    it.each([0, 43_201, 1.5, '60', -5])('refuses %j: it must be a whole number from 1 to 43200', (sessionTtlMinutes) => {
      expect(problemsOf(tiny({ sessionTtlMinutes }))).toEqual([
        { nodeId: null, field: 'sessionTtlMinutes', message: 'must be a whole number from 1 to 43200' },
      ]);
    });
  });

  describe('triggers', () => {
    it('accepts keywords, and an empty list', () => {
      expectValid(tiny({ triggers: { keywords: ['menu', 'Hi there'] } }));
      expectValid(tiny({ triggers: { keywords: [] } }));
    });

    it.each([
      ['not an object', ['menu'], 'triggers', 'must be an object, not an array'],
      ['without keywords', {}, 'triggers.keywords', 'is required'],
      ['with keywords that are not a list', { keywords: 'menu' }, 'triggers.keywords', 'must be a list, not a string'],
      ['with an unknown field', { keywords: [], regex: '.*' }, 'triggers.regex', expect.stringContaining('is not a known field')],
      ['with more than 50 keywords', { keywords: Array.from({ length: 51 }, (_, i) => `k${i}`) }, 'triggers.keywords', 'must have at most 50 keywords (got 51)'],
      ['with a blank keyword', { keywords: ['  '] }, 'triggers.keywords[0]', 'must not be blank'],
      ['with a keyword that is not a string', { keywords: [1] }, 'triggers.keywords[0]', 'must be a string, not a number'],
      ['with a keyword over 100 characters', { keywords: ['k'.repeat(101)] }, 'triggers.keywords[0]', 'must be at most 100 characters'],
      ['with a keyword twice (case-insensitive)', { keywords: ['Menu', 'menu '] }, 'triggers.keywords[1]', 'repeats the keyword "menu "'],
    ])('are refused %s', (_, triggers, field, message) => {
      expect(problemsOf(tiny({ triggers }))).toEqual([{ nodeId: null, field, message }]);
    });
  });
});

describe('validateFlow: node ids and types', () => {
  it.each([
    ['missing', undefined, 'is required'],
    ['not a string', 7, 'must be a string, not a number'],
    ['blank', ' ', 'must not be blank'],
    ['over 100 characters', 'x'.repeat(101), 'must be at most 100 characters'],
  ])('an id %s is reported against the node position', (_, id, message) => {
    const problems = problemsOf({ start: 'a', nodes: [{ id: 'a', type: 'end' }, { id, type: 'end' }] });
    expect(problems).toEqual([{ nodeId: null, field: 'nodes[1].id', message }]);
  });

  it('reports the other problems of a node without an id against its position too', () => {
    const problems = problemsOf({ start: 'a', nodes: [{ id: 'a', type: 'end' }, { type: 'end', text: 5 }] });
    expect(problems).toContainEqual({ nodeId: null, field: 'nodes[1].text', message: 'must be a string, not a number' });
  });

  it('ids must be unique', () => {
    const problems = problemsOf({ start: 'a', nodes: [{ id: 'a', type: 'end' }, { id: 'a', type: 'handoff' }] });
    expect(problems).toEqual([{ nodeId: 'a', field: 'id', message: 'repeats the id of nodes[0]: node ids must be unique' }]);
  });

  it.each([
    ['unknown', 'mesage', 'must be one of message, question, condition, set, jump, template, http, handoff, end'],
    ['missing', undefined, 'is required: one of message, question, condition, set, jump, template, http, handoff, end'],
  ])('a type that is %s is refused', (_, type, message) => {
    expect(problemsOf({ start: 'a', nodes: [{ id: 'a', type }] })).toEqual([{ nodeId: 'a', field: 'type', message }]);
  });

  it.each([
    ['message', { text: 'x', next: 'b' }],
    ['question', { text: 'x', next: 'b' }],
    ['condition', { branches: [{ when: { var: 'x', op: '==', value: 1 }, next: 'b' }], else: 'b' }],
    ['set', { var: 'x', value: 1, next: 'b' }],
    ['jump', { to: 'b' }],
    ['template', { template: 't', language: 'en', next: 'b' }],
    ['http', { url: 'https://x.test', next: 'b' }],
    ['handoff', {}],
    ['end', {}],
  ])('a %s node may not hold unknown fields', (type, fields) => {
    const problems = problemsOf({ start: 'a', nodes: [{ id: 'a', type, ...fields, position: { x: 1 } }, { id: 'b', type: 'end' }] });
    // b is unreachable from the nodes that do not lead to it; only a's problems matter here.
    expect(problems.filter((problem) => problem.nodeId === 'a')).toEqual([{ nodeId: 'a', field: 'position', message: expect.stringContaining('is not a known field here') }]);
  });
});

describe('validateFlow: the graph', () => {
  const end = (id: string) => ({ id, type: 'end' });

  it.each([
    ['next', { id: 's', type: 'set', var: 'x', value: 1, next: 'nowhere' }, 'next'],
    ['else', { id: 's', type: 'condition', branches: [{ when: { var: 'x', op: '==', value: 1 }, next: 'b' }], else: 'nowhere' }, 'else'],
    ['a branch', { id: 's', type: 'condition', branches: [{ when: { var: 'x', op: '==', value: 1 }, next: 'nowhere' }], else: 'b' }, 'branches[0].next'],
    ['to', { id: 's', type: 'jump', to: 'nowhere' }, 'to'],
    ['a button', { id: 's', type: 'message', text: 't', buttons: [{ id: 'x', title: 'X', next: 'nowhere' }, { id: 'y', title: 'Y', next: 'b' }] }, 'buttons[0].next'],
    [
      'a list row',
      { id: 's', type: 'message', text: 't', list: { button: 'Open', sections: [{ rows: [{ id: 'r', title: 'R', next: 'b' }, { id: 'q', title: 'Q', next: 'nowhere' }] }] } },
      'list.sections[0].rows[1].next',
    ],
    ['onInvalid', { id: 's', type: 'question', text: 't', next: 'b', onInvalid: 'nowhere' }, 'onInvalid'],
    ['onError', { id: 's', type: 'http', url: 'https://x.test', next: 'b', onError: 'nowhere' }, 'onError'],
  ])('every target must resolve: %s', (_, node, field) => {
    const problems = problemsOf({ start: 's', nodes: [node, end('b')] });
    expect(problems.filter((problem) => problem.nodeId === 's')).toEqual([
      { nodeId: 's', field, message: 'points to "nowhere", which is not a node of this flow' },
    ]);
  });

  it('a target must be a node id', () => {
    expect(problemsOf({ start: 's', nodes: [{ id: 's', type: 'jump', to: 42 }] })).toEqual([{ nodeId: 's', field: 'to', message: 'must be the id of a node' }]);
    expect(problemsOf({ start: 's', nodes: [{ id: 's', type: 'set', var: 'x', value: 1, next: ' ' }] })).toEqual([
      { nodeId: 's', field: 'next', message: 'must be the id of a node' },
    ]);
  });

  it('every node must be reachable from start', () => {
    const problems = problemsOf({ start: 'a', nodes: [end('a'), end('b'), { id: 'c', type: 'jump', to: 'a' }] });
    expect(problems).toEqual([
      { nodeId: 'b', field: 'id', message: 'is not reachable from start' },
      { nodeId: 'c', field: 'id', message: 'is not reachable from start' },
    ]);
  });

  it('counts nodes reached only through onInvalid or onError, across cycles', () => {
    expectValid({
      start: 'ask',
      nodes: [
        { id: 'ask', type: 'question', text: '?', next: 'call', onInvalid: 'sorry' },
        { id: 'call', type: 'http', url: 'https://x.test', next: 'ask', onError: 'oops' },
        { id: 'sorry', type: 'handoff' },
        end('oops'),
      ],
    });
  });

  it('does not report unreachable nodes when start does not resolve (everything would be)', () => {
    expect(problemsOf({ start: 'x', nodes: [end('a'), end('b')] })).toEqual([{ nodeId: null, field: 'start', message: 'names "x", which is not a node of this flow' }]);
  });

  it.each([
    ['a message without options', { type: 'message', text: 'x' }, 'next', 'is required: a message without buttons or a list continues to next'],
    ['a question', { type: 'question', text: 'x' }, 'next', 'is required: a question continues to next once answered'],
    ['a condition', { type: 'condition', branches: [{ when: { var: 'x', op: '==', value: 1 }, next: 'b' }] }, 'else', 'is required: a condition goes to else when no branch holds'],
    ['a set node', { type: 'set', var: 'x', value: 1 }, 'next', 'is required: a set node continues to next'],
    ['a template node', { type: 'template', template: 't', language: 'en' }, 'next', 'is required: a template continues to next once sent'],
    ['an http node', { type: 'http', url: 'https://x.test' }, 'next', 'is required: an http node continues to next when the request succeeds'],
    ['a jump', { type: 'jump' }, 'to', "is required: a jump needs to (a node's id) or flow (another flow's id)"],
  ])('%s needs a way forward', (_, node, field, message) => {
    const problems = problemsOf({ start: 's', nodes: [{ id: 's', ...node }, end('b')] });
    expect(problems).toContainEqual({ nodeId: 's', field, message });
  });

  it('end and handoff need no way forward', () => {
    expectValid({ start: 'h', nodes: [{ id: 'h', type: 'handoff' }] });
    expectValid({ start: 'e', nodes: [end('e')] });
  });

  it("reports a duplicate id once, without checking the duplicate's targets", () => {
    const problems = problemsOf({ start: 'a', nodes: [end('a'), { id: 'a', type: 'jump', to: 'nowhere' }] });
    expect(problems).toEqual([{ nodeId: 'a', field: 'id', message: 'repeats the id of nodes[0]: node ids must be unique' }]);
  });
});

describe('validateFlow: reporting', () => {
  it('reports every problem at once, each with its node id and field', () => {
    const problems = problemsOf({
      start: 'welcome',
      extra: true,
      nodes: [
        { id: 'welcome', type: 'message', text: 'x'.repeat(5000), next: 'ask' },
        { id: 'ask', type: 'question', text: 'Email?', validate: { kind: 'mail' }, next: 'gone' },
        { id: 'lonely', type: 'end' },
        { id: 'welcome', type: 'end' },
      ],
    });
    expect(problems).toEqual([
      { nodeId: null, field: 'extra', message: expect.any(String) },
      { nodeId: 'welcome', field: 'text', message: 'must be at most 4096 characters' },
      { nodeId: 'ask', field: 'validate.kind', message: 'must be one of text, email, phone, number, choice, regex' },
      { nodeId: 'welcome', field: 'id', message: 'repeats the id of nodes[0]: node ids must be unique' },
      { nodeId: 'ask', field: 'next', message: 'points to "gone", which is not a node of this flow' },
      { nodeId: 'lonely', field: 'id', message: 'is not reachable from start' },
    ]);
  });

  it('lists at most 200 problems and counts the rest', () => {
    const nodes = [{ id: 'a', type: 'end' }, ...Array.from({ length: 300 }, (_, i) => ({ id: `x${i}`, type: 'nope' }))];
    const problems = problemsOf({ start: 'a', nodes });
    expect(problems).toHaveLength(201);
    // Each unknown-type node is also unreachable: 600 problems, 400 of them left out.
    expect(problems.at(-1)).toEqual({ nodeId: null, field: 'definition', message: '400 more problems are not listed' });
  });

  it('says "1 more problem" in the singular', () => {
    const nodes = [{ id: 'a', type: 'end' }, ...Array.from({ length: 201 }, () => ({ id: 'a', type: 'end' }))];
    const problems = problemsOf({ start: 'a', nodes });
    expect(problems).toHaveLength(201);
    expect(problems.at(-1)!.message).toBe('1 more problem is not listed');
  });
});
