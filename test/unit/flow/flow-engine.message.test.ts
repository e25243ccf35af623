import { advanceFlow, startFlow } from '../../../src/domain/flow/flow-engine';
import { type FlowNode, type MessageNode } from '../../../src/domain/flow/flow-definition';
import { EMPTY_BODY } from '../../../src/domain/flow/message-content';
import { validateOutboundContent } from '../../../src/domain/outbound-limits';
import { ctx, end, enteredNodes, eventTypes, flowOf, other, reply, sentTexts, stored, text } from './flow-fixtures';

const menu = (overrides: Partial<MessageNode> = {}): MessageNode => ({
  id: 'menu',
  type: 'message',
  text: 'Hi {{contact.name}}! Pick one',
  buttons: [
    { id: 'sales', title: 'Sales', next: 'sales' },
    { id: 'support', title: 'Support', next: 'support' },
  ],
  retryText: 'Please tap a button',
  ...overrides,
});
const targets: FlowNode[] = [end('sales', 'Sales it is'), end('support', 'Support it is'), { id: 'agent', type: 'handoff', text: 'An agent will help' }];
const menuFlow = (overrides: Partial<MessageNode> = {}) => flowOf([menu(overrides), ...targets]);

describe('message node without options', () => {
  it('sends its text and continues to next at once', () => {
    const flow = flowOf([{ id: 'hello', type: 'message', text: 'Hello {{contact.name}}', next: 'bye' }, end('bye', 'Bye')]);
    const result = startFlow(flow, ctx());
    expect(sentTexts(result)).toEqual(['Hello Ana', 'Bye']);
    expect(enteredNodes(result)).toEqual(['hello', 'bye']);
    expect(result.ended).toBe(true);
  });

  it('sends media after its text, with the caption interpolated', () => {
    const flow = flowOf([
      { id: 'pic', type: 'message', text: 'Look', media: { kind: 'image', link: 'https://cdn.test/a.png', caption: 'For {{contact.name}}' }, next: 'bye' },
      end('bye'),
    ]);
    const contents = startFlow(flow, ctx()).outputs.map((output) => (output.kind === 'content' ? output.content : null));
    expect(contents).toEqual([
      { kind: 'text', text: 'Look' },
      { kind: 'media', mediaKind: 'image', link: 'https://cdn.test/a.png', caption: 'For Ana' },
    ]);
  });

  it('sends media by id with no text and no caption', () => {
    const flow = flowOf([{ id: 'doc', type: 'message', media: { kind: 'document', id: 'media-1' }, next: 'bye' }, end('bye')]);
    const result = startFlow(flow, ctx());
    expect(result.outputs).toEqual([{ kind: 'content', nodeId: 'doc', content: { kind: 'media', mediaKind: 'document', id: 'media-1' } }]);
  });

  it('leaves out a caption and skips a text that render blank (WhatsApp refuses blank text)', () => {
    const flow = flowOf([
      { id: 'pic', type: 'message', text: '{{nothing}}', media: { kind: 'image', link: 'https://cdn.test/a.png', caption: ' {{nothing}} ' }, next: 'bye' },
      end('bye'),
    ]);
    const result = startFlow(flow, ctx());
    expect(result.outputs).toEqual([{ kind: 'content', nodeId: 'pic', content: { kind: 'media', mediaKind: 'image', link: 'https://cdn.test/a.png' } }]);
  });

  it('cuts texts that interpolation made too long to WhatsApp limits', () => {
    const flow = flowOf([
      { id: 'ask', type: 'question', text: 'Say something', next: 'echo' },
      { id: 'echo', type: 'message', text: 'You said {{last_input}}{{last_input}}', next: 'bye' },
      end('bye'),
    ]);
    const started = startFlow(flow, ctx());
    const result = advanceFlow(flow, stored(started.state), text('x'.repeat(4000)), ctx());
    const [echo] = result.outputs;
    expect(echo?.kind === 'content' && echo.content.kind === 'text' && echo.content.text.length).toBe(4096);
  });
});

describe('message node with buttons', () => {
  it('sends the buttons and waits for a reply', () => {
    const result = startFlow(menuFlow(), ctx());
    expect(result.outputs).toEqual([
      {
        kind: 'content',
        nodeId: 'menu',
        content: { kind: 'buttons', text: 'Hi Ana! Pick one', buttons: [{ id: 'sales', title: 'Sales' }, { id: 'support', title: 'Support' }] },
      },
    ]);
    expect(result.state).toMatchObject({ status: 'active', currentNodeId: 'menu', waitingFor: 'reply', attempts: 0 });
    expect(result.handoff || result.ended).toBe(false);
  });

  it('follows the option of an interactive reply, by id', () => {
    const started = startFlow(menuFlow(), ctx());
    const result = advanceFlow(menuFlow(), stored(started.state), reply('support', 'Support'), ctx());
    expect(sentTexts(result)).toEqual(['Support it is']);
    expect(enteredNodes(result)).toEqual(['support']);
    expect(result.state.variables.last_input).toBe('Support');
  });

  it('follows an interactive reply whose id is unknown by its title (a tap on an older message)', () => {
    const started = startFlow(menuFlow(), ctx());
    const result = advanceFlow(menuFlow(), stored(started.state), reply('old-id', 'sales'), ctx());
    expect(enteredNodes(result)).toEqual(['sales']);
  });

  it.each(['Sales', 'sales', '  SALES  '])('follows a typed title, case-insensitive and trimmed: %j', (typed) => {
    const started = startFlow(menuFlow(), ctx());
    expect(enteredNodes(advanceFlow(menuFlow(), stored(started.state), text(typed), ctx()))).toEqual(['sales']);
  });

  it('does not take a typed id for a title', () => {
    const flow = menuFlow({ buttons: [{ id: 'opt-1', title: 'Yes', next: 'sales' }] });
    const started = startFlow(flow, ctx());
    expect(eventTypes(advanceFlow(flow, stored(started.state), text('opt-1'), ctx()))).toEqual(['validation_failed', 'retried']);
  });

  it('sends an interactive body that renders blank as an ellipsis, since WhatsApp needs a body', () => {
    const result = startFlow(menuFlow({ text: '{{nothing}}' }), ctx());
    const [output] = result.outputs;
    expect(output?.kind === 'content' && output.content.kind === 'buttons' && output.content.text).toBe(EMPTY_BODY);
  });

  it('sends an ellipsis body when the text is missing (an unvalidated definition)', () => {
    const [output] = startFlow(menuFlow({ text: undefined }), ctx()).outputs;
    expect(output?.kind === 'content' && output.content.kind === 'buttons' && output.content.text).toBe(EMPTY_BODY);
    const listNode = { id: 'l', type: 'message', list: { button: 'Open', sections: [{ rows: [{ id: 'a', title: 'A', next: 'sales' }] }] } } as MessageNode;
    const [listOutput] = startFlow(flowOf([listNode, ...targets]), ctx()).outputs;
    expect(listOutput?.kind === 'content' && listOutput.content.kind === 'list' && listOutput.content.text).toBe(EMPTY_BODY);
  });

  it('produces content that passes the send pipeline checks', () => {
    const result = startFlow(menuFlow(), ctx());
    for (const output of result.outputs) if (output.kind === 'content') expect(() => validateOutboundContent(output.content)).not.toThrow();
  });
});

describe('message node with a list', () => {
  const listNode: MessageNode = {
    id: 'topics',
    type: 'message',
    text: 'Choose a topic',
    list: {
      button: 'Topics',
      sections: [
        { title: 'Account', rows: [{ id: 'billing', title: 'Billing', description: 'Invoices', next: 'sales' }] },
        { title: 'Help', rows: [{ id: 'bug', title: 'A bug', next: 'support' }] },
      ],
    },
  };
  const flow = flowOf([listNode, ...targets]);

  it('sends the list without the next fields and waits', () => {
    const result = startFlow(flow, ctx());
    expect(result.outputs).toEqual([
      {
        kind: 'content',
        nodeId: 'topics',
        content: {
          kind: 'list',
          text: 'Choose a topic',
          button: 'Topics',
          sections: [
            { title: 'Account', rows: [{ id: 'billing', title: 'Billing', description: 'Invoices' }] },
            { title: 'Help', rows: [{ id: 'bug', title: 'A bug' }] },
          ],
        },
      },
    ]);
    for (const output of result.outputs) if (output.kind === 'content') expect(() => validateOutboundContent(output.content)).not.toThrow();
    expect(result.state.waitingFor).toBe('reply');
  });

  it('follows a row by its id (list_reply) or its typed title', () => {
    const started = stored(startFlow(flow, ctx()).state);
    expect(enteredNodes(advanceFlow(flow, started, reply('bug', 'A bug'), ctx()))).toEqual(['support']);
    expect(enteredNodes(advanceFlow(flow, started, text('billing'), ctx()))).toEqual(['sales']);
  });

  it('sends a list without section titles, and a blank body as an ellipsis', () => {
    const single: MessageNode = { ...listNode, text: '{{x}}', list: { button: 'Open', sections: [{ rows: [{ id: 'a', title: 'A', next: 'sales' }] }] } };
    const [output] = startFlow(flowOf([single, ...targets]), ctx()).outputs;
    expect(output).toEqual({
      kind: 'content',
      nodeId: 'topics',
      content: { kind: 'list', text: EMPTY_BODY, button: 'Open', sections: [{ rows: [{ id: 'a', title: 'A' }] }] },
    });
  });
});

describe('invalid answers to a message with options', () => {
  it('send retryText, keeping the options, and wait again', () => {
    const started = startFlow(menuFlow(), ctx());
    const result = advanceFlow(menuFlow(), stored(started.state), text('what?'), ctx());
    expect(result.outputs).toEqual([
      {
        kind: 'content',
        nodeId: 'menu',
        content: { kind: 'buttons', text: 'Please tap a button', buttons: [{ id: 'sales', title: 'Sales' }, { id: 'support', title: 'Support' }] },
      },
    ]);
    expect(result.events).toEqual([
      { type: 'validation_failed', nodeId: 'menu', attempts: 1 },
      { type: 'retried', nodeId: 'menu' },
    ]);
    expect(result.state).toMatchObject({ currentNodeId: 'menu', waitingFor: 'reply', attempts: 1, status: 'active' });
  });

  it('repeat the message itself when there is no retryText', () => {
    const started = startFlow(menuFlow({ retryText: undefined }), ctx());
    expect(sentTexts(advanceFlow(menuFlow({ retryText: undefined }), stored(started.state), text('?'), ctx()))).toEqual(['Hi Ana! Pick one']);
  });

  it('include media and other messages, whatever their caption says', () => {
    const started = startFlow(menuFlow(), ctx());
    const result = advanceFlow(menuFlow(), stored(started.state), other('Sales'), ctx());
    expect(eventTypes(result)).toEqual(['validation_failed', 'retried']);
    expect(result.state.variables.last_input).toBe('Sales');
    expect(advanceFlow(menuFlow(), stored(started.state), other(), ctx()).state.variables.last_input).toBe('');
  });

  it('never throw on input whose texts are missing (a caller mapping an odd message)', () => {
    const started = stored(startFlow(menuFlow(), ctx()).state);
    for (const input of [other(42 as never), { kind: 'text', text: undefined } as never, { kind: 'reply', id: null, title: undefined } as never]) {
      const result = advanceFlow(menuFlow(), started, input, ctx());
      expect(result.state.variables.last_input).toBe('');
      expect(result.events[0]).toEqual({ type: 'validation_failed', nodeId: 'menu', attempts: 1 });
    }
    const asking = flowOf([{ id: 'ask', type: 'question', text: '?', next: 'sales' }, ...targets]);
    const result = advanceFlow(asking, stored(startFlow(asking, ctx()).state), { kind: 'text', text: undefined } as never, ctx());
    expect(result.events[0]).toEqual({ type: 'validation_failed', nodeId: 'ask', attempts: 1 });
  });

  it('go to onInvalid at the maxAttempts-th (default 3) instead of a third retry', () => {
    const flow = menuFlow({ onInvalid: 'agent' });
    let state = stored(startFlow(flow, ctx()).state);
    for (const attempt of [1, 2]) {
      const result = advanceFlow(flow, state, text('nope'), ctx());
      expect(result.state.attempts).toBe(attempt);
      expect(eventTypes(result)).toEqual(['validation_failed', 'retried']);
      state = stored(result.state);
    }
    const third = advanceFlow(flow, state, text('nope'), ctx());
    expect(third.events).toEqual([
      { type: 'validation_failed', nodeId: 'menu', attempts: 3 },
      { type: 'node_entered', nodeId: 'agent' },
      { type: 'handoff', nodeId: 'agent', reason: 'node' },
    ]);
    expect(sentTexts(third)).toEqual(['An agent will help']);
  });

  it('honour maxAttempts: 1 goes to onInvalid at the first invalid answer', () => {
    const flow = menuFlow({ maxAttempts: 1, onInvalid: 'support' });
    const result = advanceFlow(flow, stored(startFlow(flow, ctx()).state), text('nope'), ctx());
    expect(enteredNodes(result)).toEqual(['support']);
  });

  it('hand off when there is no onInvalid', () => {
    const flow = menuFlow({ maxAttempts: 2 });
    const first = advanceFlow(flow, stored(startFlow(flow, ctx()).state), text('x'), ctx());
    const second = advanceFlow(flow, stored(first.state), text('x'), ctx());
    expect(second.events).toEqual([
      { type: 'validation_failed', nodeId: 'menu', attempts: 2 },
      { type: 'handoff', nodeId: 'menu', reason: 'invalid' },
    ]);
    expect(second.outputs).toEqual([]);
    expect(second.handoff).toBe(true);
    expect(second.state).toMatchObject({ status: 'handed_off', currentNodeId: null, waitingFor: null, attempts: 0 });
  });

  it('count again from zero at the next node', () => {
    const flow = flowOf([menu({ buttons: [{ id: 'next', title: 'Next', next: 'menu2' }] }), menu({ id: 'menu2' }), ...targets]);
    const first = advanceFlow(flow, stored(startFlow(flow, ctx()).state), text('x'), ctx());
    const moved = advanceFlow(flow, stored(first.state), text('Next'), ctx());
    expect(moved.state).toMatchObject({ currentNodeId: 'menu2', attempts: 0 });
  });
});
