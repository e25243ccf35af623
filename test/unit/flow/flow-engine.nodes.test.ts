import { type BotState } from '../../../src/domain/flow/bot-state';
import { advanceFlow, startFlow } from '../../../src/domain/flow/flow-engine';
import { type FlowNode, type QuestionNode } from '../../../src/domain/flow/flow-definition';
import { NOW, ctx, end, enteredNodes, eventTypes, flowOf, other, reply, sentTexts, stored, text } from './flow-fixtures';

const question = (overrides: Partial<QuestionNode> = {}): QuestionNode => ({
  id: 'ask',
  type: 'question',
  text: 'Your email?',
  validate: { kind: 'email' },
  saveAs: 'email',
  retryText: 'Not an email, try again',
  next: 'thanks',
  ...overrides,
});
const thanks = end('thanks', 'Thanks, we will write to {{email}}');

describe('question node', () => {
  const flow = flowOf([question(), thanks, { id: 'agent', type: 'handoff' }]);

  it('asks and waits for the answer', () => {
    const result = startFlow(flow, ctx());
    expect(sentTexts(result)).toEqual(['Your email?']);
    expect(result.state).toMatchObject({ currentNodeId: 'ask', waitingFor: 'reply', status: 'active' });
  });

  it('saves a valid answer normalised under saveAs and continues', () => {
    const result = advanceFlow(flow, stored(startFlow(flow, ctx()).state), text(' Ana@Example.COM '), ctx());
    expect(result.events).toEqual([
      { type: 'variable_set', name: 'email', value: 'ana@example.com' },
      { type: 'node_entered', nodeId: 'thanks' },
      { type: 'ended', nodeId: 'thanks' },
    ]);
    expect(sentTexts(result)).toEqual(['Thanks, we will write to ana@example.com']);
    expect(result.state.variables).toEqual({ email: 'ana@example.com', last_input: ' Ana@Example.COM ' });
  });

  it('saves numbers as numbers', () => {
    const numeric = flowOf([question({ validate: { kind: 'number', min: 0 }, saveAs: 'age' }), thanks]);
    const result = advanceFlow(numeric, stored(startFlow(numeric, ctx()).state), text('42'), ctx());
    expect(result.state.variables.age).toBe(42);
  });

  it('takes the title of an interactive reply as the answer', () => {
    const choice = flowOf([question({ validate: { kind: 'choice', options: ['Pro', 'Basic'] }, saveAs: 'plan' }), thanks]);
    const result = advanceFlow(choice, stored(startFlow(choice, ctx()).state), reply('x', 'pro'), ctx());
    expect(result.state.variables.plan).toBe('Pro');
  });

  it('accepts any non-blank text without a validator, and can leave the answer unsaved', () => {
    const free = flowOf([{ id: 'ask', type: 'question', text: 'Anything?', next: 'thanks' }, end('thanks', 'You said {{last_input}}')]);
    const result = advanceFlow(free, stored(startFlow(free, ctx()).state), text('hello'), ctx());
    expect(sentTexts(result)).toEqual(['You said hello']);
    expect(result.events.some((event) => event.type === 'variable_set')).toBe(false);
  });

  it('sends retryText after an invalid answer, or the question again without one', () => {
    const state = stored(startFlow(flow, ctx()).state);
    expect(sentTexts(advanceFlow(flow, state, text('nope'), ctx()))).toEqual(['Not an email, try again']);
    const plain = flowOf([question({ retryText: undefined }), thanks]);
    expect(sentTexts(advanceFlow(plain, stored(startFlow(plain, ctx()).state), text('nope'), ctx()))).toEqual(['Your email?']);
  });

  it('counts media as an invalid answer', () => {
    const result = advanceFlow(flow, stored(startFlow(flow, ctx()).state), other('caption@example.com'), ctx());
    expect(result.events[0]).toEqual({ type: 'validation_failed', nodeId: 'ask', attempts: 1 });
  });

  it('goes to onInvalid at the maxAttempts-th invalid answer', () => {
    const limited = flowOf([question({ maxAttempts: 2, onInvalid: 'agent' }), thanks, { id: 'agent', type: 'handoff' }]);
    const first = advanceFlow(limited, stored(startFlow(limited, ctx()).state), text('x'), ctx());
    const second = advanceFlow(limited, stored(first.state), text('y'), ctx());
    expect(eventTypes(second)).toEqual(['validation_failed', 'node_entered', 'handoff']);
    expect(second.outputs).toEqual([]);
    expect(second.state.status).toBe('handed_off');
  });

  it('hands off after the last invalid answer when there is no onInvalid', () => {
    const limited = flowOf([question({ maxAttempts: 1 }), thanks]);
    const result = advanceFlow(limited, stored(startFlow(limited, ctx()).state), text('x'), ctx());
    expect(result.events.at(-1)).toEqual({ type: 'handoff', nodeId: 'ask', reason: 'invalid' });
    expect(result.handoff).toBe(true);
  });

  it('keeps a customer answer that looks like a placeholder or markup as literal text', () => {
    const echo = flowOf([
      { id: 'secret', type: 'set', var: 'email', value: 'hidden@example.com', next: 'ask' },
      question({ validate: { kind: 'text' }, saveAs: 'name' }),
      end('thanks', 'Hi {{name}} / {{last_input}}'),
    ]);
    const state = stored(startFlow(echo, ctx()).state);
    const result = advanceFlow(echo, state, text('{{email}}</script>'), ctx());
    expect(sentTexts(result)).toEqual(['Hi {{email}}</script> / {{email}}</script>']);
  });
});

describe('condition node', () => {
  const branches: FlowNode[] = [
    { id: 'set_plan', type: 'set', var: 'plan', value: 'pro', next: 'route' },
    {
      id: 'route',
      type: 'condition',
      branches: [
        { when: { var: 'plan', op: '==', value: 'basic' }, next: 'basic' },
        { when: { any: [{ var: 'plan', op: 'in', value: ['pro', 'max'] }, { var: 'vip', op: '==', value: true }] }, next: 'pro' },
        { when: { var: 'plan', op: '!=', value: 'x' }, next: 'other' },
      ],
      else: 'fallback',
    },
    end('basic'),
    end('pro'),
    end('other'),
    end('fallback'),
  ];

  it('follows the first branch that holds', () => {
    expect(enteredNodes(startFlow(flowOf(branches), ctx()))).toEqual(['set_plan', 'route', 'pro']);
  });

  it('goes to else when no branch holds', () => {
    const flow = flowOf([{ ...branches[0]!, value: 'x' } as FlowNode, ...branches.slice(1)]);
    expect(enteredNodes(startFlow(flow, ctx()))).toEqual(['set_plan', 'route', 'fallback']);
  });

  it('reads the contact and last_input', () => {
    const flow = flowOf([
      {
        id: 'route',
        type: 'condition',
        branches: [{ when: { all: [{ var: 'contact.name', op: '==', value: 'ana' }, { var: 'last_input', op: '==', value: 'MENU' }] }, next: 'yes' }],
        else: 'no',
      },
      end('yes'),
      end('no'),
    ]);
    expect(enteredNodes(startFlow(flow, ctx(), text('menu')))).toEqual(['route', 'yes']);
    expect(enteredNodes(startFlow(flow, ctx()))).toEqual(['route', 'no']);
  });
});

describe('set node', () => {
  it('saves an interpolated text, as text, and never re-interpolates it', () => {
    const flow = flowOf([
      { id: 'a', type: 'set', var: 'greeting', value: 'Hi {{contact.name}} {{last_input}}', next: 'b' },
      end('b', '{{greeting}}'),
    ]);
    const result = startFlow(flow, ctx(), text('{{contact.phone}}'));
    expect(result.events[1]).toEqual({ type: 'variable_set', name: 'greeting', value: 'Hi Ana {{contact.phone}}' });
    expect(sentTexts(result)).toEqual(['Hi Ana {{contact.phone}}']);
  });

  it('saves numbers, booleans and null as they are', () => {
    const flow = flowOf([
      { id: 'a', type: 'set', var: 'n', value: 5, next: 'b' },
      { id: 'b', type: 'set', var: 'flag', value: true, next: 'c' },
      { id: 'c', type: 'set', var: 'n', value: null, next: 'd' },
      end('d'),
    ]);
    expect(startFlow(flow, ctx()).state.variables).toEqual({ n: null, flag: true });
  });

  it('saves null for a missing value (an unvalidated definition)', () => {
    const flow = flowOf([{ id: 'a', type: 'set', var: 'n', next: 'b' } as unknown as FlowNode, end('b')]);
    expect(startFlow(flow, ctx()).state.variables).toEqual({ n: null });
  });

  it('cuts a value at 4096 characters, so a loop cannot grow it without bound', () => {
    const flow = flowOf([
      { id: 'seed', type: 'set', var: 'x', value: 'ab', next: 'grow' },
      { id: 'grow', type: 'set', var: 'x', value: '{{x}}{{x}}{{x}}', next: 'again' },
      { id: 'again', type: 'jump', to: 'grow' },
    ]);
    const result = startFlow(flow, ctx({ maxSteps: 40 }));
    expect(String(result.state.variables.x)).toHaveLength(4096);
  });

  it('keeps a variable named __proto__ (an unvalidated definition) as a plain variable', () => {
    const flow = flowOf([{ id: 'a', type: 'set', var: '__proto__', value: 'x', next: 'b' }, end('b', '{{__proto__}}')]);
    const result = startFlow(flow, ctx());
    expect(sentTexts(result)).toEqual(['x']);
    expect(Object.getPrototypeOf(result.state.variables)).toBe(Object.prototype);
  });
});

describe('jump node', () => {
  it('continues at the node named by to', () => {
    const flow = flowOf([{ id: 'go', type: 'jump', to: 'target' }, end('skipped'), end('target', 'Here')]);
    const result = startFlow(flow, ctx());
    expect(enteredNodes(result)).toEqual(['go', 'target']);
  });

  it('ends the session and names the other flow to start', () => {
    const flow = flowOf([{ id: 'hello', type: 'message', text: 'Moving on', next: 'go' }, { id: 'go', type: 'jump', flow: 'flow-2' }]);
    const result = startFlow(flow, ctx());
    expect(result.jumpToFlow).toBe('flow-2');
    expect(result.ended).toBe(true);
    expect(result.handoff).toBe(false);
    expect(result.events.at(-1)).toEqual({ type: 'ended', nodeId: 'go' });
    expect(result.state).toMatchObject({ status: 'ended', currentNodeId: null, waitingFor: null });
    expect(sentTexts(result)).toEqual(['Moving on']);
  });

  it('has no jumpToFlow when the session simply ends', () => {
    expect(startFlow(flowOf([end('bye')]), ctx())).not.toHaveProperty('jumpToFlow');
  });
});

describe('template node', () => {
  it('describes the send with interpolated parameters and continues', () => {
    const flow = flowOf([
      {
        id: 'tpl',
        type: 'template',
        template: 'welcome_back',
        language: 'en',
        parameters: { header: '{{contact.name}}', body: ['{{contact.name}}', 'literal'], buttons: [null, 'code-{{last_input}}'] },
        next: 'bye',
      },
      end('bye'),
    ]);
    const result = startFlow(flow, ctx(), text('{{contact.phone}}'));
    expect(result.outputs).toEqual([
      {
        kind: 'template',
        nodeId: 'tpl',
        name: 'welcome_back',
        language: 'en',
        parameters: { header: 'Ana', body: ['Ana', 'literal'], buttons: [null, 'code-{{contact.phone}}'] },
      },
    ]);
    expect(enteredNodes(result)).toEqual(['tpl', 'bye']);
  });

  it('sends empty parameters when there are none', () => {
    const flow = flowOf([{ id: 'tpl', type: 'template', template: 'hello', language: 'en_US', next: 'bye' }, end('bye')]);
    expect(startFlow(flow, ctx()).outputs[0]).toMatchObject({ kind: 'template', parameters: {} });
  });
});

describe('handoff and end nodes', () => {
  it('handoff sends its text and hands the conversation to an agent', () => {
    const result = startFlow(flowOf([{ id: 'agent', type: 'handoff', text: 'Connecting {{contact.name}}...' }]), ctx());
    expect(sentTexts(result)).toEqual(['Connecting Ana...']);
    expect(result.events).toEqual([
      { type: 'node_entered', nodeId: 'agent' },
      { type: 'handoff', nodeId: 'agent', reason: 'node' },
    ]);
    expect(result).toMatchObject({ handoff: true, ended: false });
    expect(result.state).toMatchObject({ status: 'handed_off', currentNodeId: null, waitingFor: null });
  });

  it('handoff and end without text send nothing', () => {
    expect(startFlow(flowOf([{ id: 'agent', type: 'handoff' }]), ctx()).outputs).toEqual([]);
    expect(startFlow(flowOf([end('bye')]), ctx()).outputs).toEqual([]);
  });

  it('end sends its text and ends the session', () => {
    const result = startFlow(flowOf([end('bye', 'Bye {{contact.name}}')]), ctx());
    expect(sentTexts(result)).toEqual(['Bye Ana']);
    expect(result).toMatchObject({ handoff: false, ended: true });
    expect(result.state.status).toBe('ended');
  });
});

describe('loop guard', () => {
  const cycle: FlowNode[] = [
    { id: 'count', type: 'set', var: 'spins', value: 'again', next: 'back' },
    { id: 'back', type: 'jump', to: 'count' },
  ];

  it('stops a set -> jump cycle after 50 nodes with an error and hands off', () => {
    const result = startFlow(flowOf(cycle), ctx());
    expect(enteredNodes(result)).toHaveLength(50);
    expect(result.events.slice(-2)).toEqual([
      { type: 'error', nodeId: 'count', message: 'loop guard: more than 50 nodes in one step' },
      { type: 'handoff', nodeId: 'count', reason: 'loop_guard' },
    ]);
    expect(result.handoff).toBe(true);
    expect(result.state).toMatchObject({ status: 'handed_off', currentNodeId: null });
  });

  it('takes maxSteps from the context, and counts per call', () => {
    const flow = flowOf([
      { id: 'ask', type: 'question', text: '?', next: 'a' },
      { id: 'a', type: 'message', text: 'a', next: 'b' },
      { id: 'b', type: 'message', text: 'b', next: 'ask' },
    ]);
    const started = startFlow(flow, ctx({ maxSteps: 3 }));
    const first = advanceFlow(flow, stored(started.state), text('x'), ctx({ maxSteps: 3 }));
    expect(first.state.status).toBe('active');
    const second = advanceFlow(flow, stored(first.state), text('y'), ctx({ maxSteps: 2 }));
    expect(second.events.at(-1)).toEqual({ type: 'handoff', nodeId: 'ask', reason: 'loop_guard' });
    expect(sentTexts(second)).toEqual(['a', 'b']);
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])('falls back to 50 for a maxSteps of %d', (maxSteps) => {
    expect(enteredNodes(startFlow(flowOf(cycle), ctx({ maxSteps })))).toHaveLength(50);
  });
});

describe('the session state', () => {
  const flow = flowOf([
    { id: 'ask', type: 'question', text: 'Name?', saveAs: 'name', next: 'again' },
    { id: 'again', type: 'jump', to: 'ask' },
  ]);

  it('starts with times from the context and the starting message as last_input', () => {
    const result = startFlow(flow, ctx(), text('hi'));
    expect(result.state).toEqual({
      flowId: 'flow-1',
      flowVersion: 1,
      currentNodeId: 'ask',
      waitingFor: 'reply',
      attempts: 0,
      variables: { last_input: 'hi' },
      path: ['ask'],
      startedAt: NOW.toISOString(),
      lastActivityAt: NOW.toISOString(),
      status: 'active',
    });
  });

  it('keeps startedAt, moves lastActivityAt, and records the path', () => {
    const later = new Date(NOW.getTime() + 60_000);
    const result = advanceFlow(flow, stored(startFlow(flow, ctx()).state), text('Bo'), ctx({ now: later }));
    expect(result.state).toMatchObject({ startedAt: NOW.toISOString(), lastActivityAt: later.toISOString(), path: ['ask', 'again', 'ask'] });
  });

  it('keeps only the last 200 node ids of the path', () => {
    let state = stored(startFlow(flow, ctx()).state);
    for (let i = 0; i < 120; i += 1) state = advanceFlow(flow, state, text(`n${i}`), ctx()).state;
    expect(state.path).toHaveLength(200);
    expect(state.path.at(-1)).toBe('ask');
    expect(state.variables.name).toBe('n119');
  });

  it('never changes the state it is given', () => {
    const before = startFlow(flow, ctx()).state;
    const copy = stored(before);
    advanceFlow(flow, before, text('Bo'), ctx());
    expect(before).toEqual(copy);
  });

  it('cuts last_input to 4096 characters', () => {
    const result = startFlow(flow, ctx(), text('x'.repeat(5000)));
    expect(String(result.state.variables.last_input)).toHaveLength(4096);
  });
});

describe('calls that do not fit the session', () => {
  const flow = flowOf([{ id: 'ask', type: 'question', text: 'Name?', next: 'bye' }, end('bye')]);
  const waiting = (): BotState => stored(startFlow(flow, ctx()).state);

  it.each(['ended', 'handed_off'] as const)('advancing a session that is %s changes nothing and records an error', (status) => {
    const state: BotState = { ...waiting(), status, currentNodeId: null, waitingFor: null };
    const result = advanceFlow(flow, state, text('hi'), ctx());
    expect(result.state).toBe(state);
    expect(result.outputs).toEqual([]);
    expect(result.events).toEqual([{ type: 'error', nodeId: null, message: `the bot session is ${status}` }]);
    expect(result).toMatchObject({ handoff: false, ended: false });
  });

  it('a state of another flow version hands off with an error', () => {
    const result = advanceFlow({ ...flow, version: 2 }, waiting(), text('hi'), ctx());
    expect(result.events).toEqual([
      { type: 'error', nodeId: 'ask', message: 'the session runs flow flow-1 v1, not flow-1 v2' },
      { type: 'handoff', nodeId: 'ask', reason: 'error' },
    ]);
    expect(result.handoff).toBe(true);
  });

  it('a state waiting at a node that does not exist hands off with an error', () => {
    const result = advanceFlow(flow, { ...waiting(), currentNodeId: 'gone' }, text('hi'), ctx());
    expect(result.events[0]).toEqual({ type: 'error', nodeId: 'gone', message: 'the session waits at "gone", which is not a node of this flow' });
    expect(result.state.status).toBe('handed_off');
  });

  it('a state waiting for a reply at a node that takes none hands off with an error', () => {
    const result = advanceFlow(flow, { ...waiting(), currentNodeId: 'bye' }, text('hi'), ctx());
    expect(result.events[0]).toEqual({ type: 'error', nodeId: 'bye', message: 'the session is not waiting for a reply at "bye" (end)' });
  });

  it('a state that waits for nothing hands off with an error', () => {
    const result = advanceFlow(flow, { ...waiting(), waitingFor: null }, text('hi'), ctx());
    expect(eventTypes(result)).toEqual(['error', 'handoff']);
  });

  it('a state with no current node hands off with an error and an empty node id', () => {
    const result = advanceFlow(flow, { ...waiting(), currentNodeId: null }, text('hi'), ctx());
    expect(result.events).toEqual([
      { type: 'error', nodeId: null, message: 'the session waits at "null", which is not a node of this flow' },
      { type: 'handoff', nodeId: '', reason: 'error' },
    ]);
  });
});

describe('definitions that validation would refuse', () => {
  it('a start that is not a node hands off with an error', () => {
    const result = startFlow(flowOf([end('bye')], 'nowhere'), ctx());
    expect(result.events).toEqual([
      { type: 'error', nodeId: null, message: 'the start "nowhere" is not a node of this flow' },
      { type: 'handoff', nodeId: '', reason: 'error' },
    ]);
  });

  it('a missing start hands off with an error', () => {
    const flow = flowOf([end('bye')]);
    const result = startFlow({ ...flow, definition: { nodes: flow.definition.nodes } as never }, ctx());
    expect(result.events[0]).toEqual({ type: 'error', nodeId: null, message: 'the flow has no start' });
  });

  it('a definition without a node list hands off with an error', () => {
    const result = startFlow({ id: 'f', version: 1, definition: { start: 'a' } as never }, ctx());
    expect(result.handoff).toBe(true);
  });

  it('a next that is missing or names no node hands off with an error', () => {
    const missing = startFlow(flowOf([{ id: 'a', type: 'set', var: 'x', value: 1 } as unknown as FlowNode]), ctx());
    expect(missing.events.slice(-2)).toEqual([
      { type: 'error', nodeId: 'a', message: '"a" has no next node' },
      { type: 'handoff', nodeId: 'a', reason: 'error' },
    ]);
    const dangling = startFlow(flowOf([{ id: 'a', type: 'message', text: 'x', next: 'gone' }]), ctx());
    expect(dangling.events.at(-2)).toEqual({ type: 'error', nodeId: 'a', message: '"a" leads to "gone", which is not a node of this flow' });
    expect(sentTexts(dangling)).toEqual(['x']);
  });

  it('an unknown node type hands off with an error', () => {
    const result = startFlow(flowOf([{ id: 'a', type: 'teleport' } as unknown as FlowNode]), ctx());
    expect(result.events.slice(1)).toEqual([
      { type: 'error', nodeId: 'a', message: 'unknown node type "teleport"' },
      { type: 'handoff', nodeId: 'a', reason: 'error' },
    ]);
  });

  it('a condition without branches goes to else', () => {
    const flow = flowOf([{ id: 'c', type: 'condition', else: 'bye' } as unknown as FlowNode, end('bye')]);
    expect(enteredNodes(startFlow(flow, ctx()))).toEqual(['c', 'bye']);
  });

  it('duplicate node ids: the first wins', () => {
    const flow = flowOf([{ id: 'a', type: 'jump', to: 'b' }, end('b', 'first'), end('b', 'second')]);
    expect(sentTexts(startFlow(flow, ctx()))).toEqual(['first']);
  });
});
