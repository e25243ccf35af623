import { type BotState } from '../../../src/domain/flow/bot-state';
import { advanceFlow, resumeAfterHttp, startFlow } from '../../../src/domain/flow/flow-engine';
import { type FlowNode, type HttpNode } from '../../../src/domain/flow/flow-definition';
import { ctx, end, enteredNodes, flowOf, sentTexts, stored, text } from './flow-fixtures';

const lookup = (overrides: Partial<HttpNode> = {}): HttpNode => ({
  id: 'lookup',
  type: 'http',
  method: 'POST',
  url: 'https://api.test/orders/{{order}}?by={{contact.name}}',
  headers: { Authorization: 'Bearer {{token}}', 'X-Note': '{{last_input}}' },
  body: { order: '{{order}}', tags: ['{{contact.phone}}', 7], nested: { keep: true } },
  saveAs: 'result',
  timeoutMs: 5000,
  next: 'done',
  onError: 'failed',
  ...overrides,
});
const rest: FlowNode[] = [end('done', 'Status: {{result.status}}'), end('failed', 'Lookup failed'), { id: 'agent', type: 'handoff' }];
const flowWith = (overrides: Partial<HttpNode> = {}) =>
  flowOf([{ id: 'seed', type: 'set', var: 'order', value: 'A/1 2', next: 'token' }, { id: 'token', type: 'set', var: 'token', value: 't0k3n', next: 'lookup' }, lookup(overrides), ...rest]);

describe('http node', () => {
  it('describes the request, interpolated, and waits for its outcome', () => {
    const result = startFlow(flowWith(), ctx(), text('line1\r\nX-Evil: 1'));
    expect(result.outputs).toEqual([
      {
        kind: 'http',
        nodeId: 'lookup',
        request: {
          method: 'POST',
          url: 'https://api.test/orders/A%2F1%202?by=Ana',
          headers: { Authorization: 'Bearer t0k3n', 'X-Note': 'line1 X-Evil: 1' },
          body: { order: 'A/1 2', tags: ['5511999990001', 7], nested: { keep: true } },
          timeoutMs: 5000,
        },
      },
    ]);
    expect(result.state).toMatchObject({ status: 'active', currentNodeId: 'lookup', waitingFor: 'http' });
    expect(result.handoff || result.ended).toBe(false);
  });

  it('defaults to GET, no body, no headers and a 10 s timeout', () => {
    const flow = flowOf([{ id: 'lookup', type: 'http', url: 'https://api.test/ping', next: 'done' }, ...rest]);
    const [output] = startFlow(flow, ctx()).outputs;
    expect(output).toEqual({ kind: 'http', nodeId: 'lookup', request: { method: 'GET', url: 'https://api.test/ping', headers: {}, body: null, timeoutMs: 10_000 } });
  });

  it('ignores customer messages while the request is pending', () => {
    const waiting = stored(startFlow(flowWith(), ctx()).state);
    const result = advanceFlow(flowWith(), waiting, text('hello?'), ctx());
    expect(result.outputs).toEqual([]);
    expect(result.events).toEqual([]);
    expect(result.state).toMatchObject({ currentNodeId: 'lookup', waitingFor: 'http', variables: waiting.variables });
  });

  describe('resumeAfterHttp', () => {
    const waiting = () => stored(startFlow(flowWith(), ctx()).state);

    it('saves an object body as JSON, its scalar fields as <saveAs>.<field>, and continues to next', () => {
      const body = { status: 'shipped', count: 2, paid: true, note: null, items: [1], 'bad-key': 'x', nested: { a: 1 } };
      const result = resumeAfterHttp(flowWith(), waiting(), { ok: true, status: 200, body }, ctx());
      expect(result.events).toEqual([
        { type: 'variable_set', name: 'result', value: JSON.stringify(body) },
        { type: 'variable_set', name: 'result.status', value: 'shipped' },
        { type: 'variable_set', name: 'result.count', value: 2 },
        { type: 'variable_set', name: 'result.paid', value: true },
        { type: 'variable_set', name: 'result.note', value: null },
        { type: 'node_entered', nodeId: 'done' },
        { type: 'ended', nodeId: 'done' },
      ]);
      expect(sentTexts(result)).toEqual(['Status: shipped']);
    });

    it('saves a scalar body as it is, and a missing body as null', () => {
      const flow = flowWith();
      expect(resumeAfterHttp(flow, waiting(), { ok: true, status: 200, body: 'plain' }, ctx()).state.variables.result).toBe('plain');
      expect(resumeAfterHttp(flow, waiting(), { ok: true, status: 204, body: undefined }, ctx()).state.variables.result).toBeNull();
      expect(resumeAfterHttp(flow, waiting(), { ok: true, status: 200, body: null }, ctx()).state.variables.result).toBeNull();
      expect(resumeAfterHttp(flow, waiting(), { ok: true, status: 200, body: false }, ctx()).state.variables.result).toBe(false);
      expect(resumeAfterHttp(flow, waiting(), { ok: true, status: 200, body: Number.NaN }, ctx()).state.variables.result).toBeNull();
      expect(resumeAfterHttp(flow, waiting(), { ok: true, status: 200, body: [1, 'a'] }, ctx()).state.variables.result).toBe('[1,"a"]');
    });

    it('saves nothing for a body that is not JSON, and at most 50 fields', () => {
      const cyclic: Record<string, unknown> = { a: 1 };
      cyclic.self = cyclic;
      const flow = flowWith();
      const result = resumeAfterHttp(flow, waiting(), { ok: true, status: 200, body: cyclic }, ctx());
      expect(result.state.variables.result).toBeNull();
      expect(resumeAfterHttp(flow, waiting(), { ok: true, status: 200, body: () => 1 }, ctx()).state.variables.result).toBeNull();
      expect(result.state.variables['result.a']).toBe(1);
      const wide = Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`f${i}`, i]));
      const saved = resumeAfterHttp(flow, waiting(), { ok: true, status: 200, body: wide }, ctx()).state.variables;
      expect(Object.keys(saved).filter((name) => name.startsWith('result.'))).toHaveLength(50);
    });

    it('cuts a long text body to 4096 characters', () => {
      const result = resumeAfterHttp(flowWith(), waiting(), { ok: true, status: 200, body: 'x'.repeat(10_000) }, ctx());
      expect(String(result.state.variables.result)).toHaveLength(4096);
    });

    it('continues without saving when there is no saveAs', () => {
      const flow = flowWith({ saveAs: undefined });
      const result = resumeAfterHttp(flow, stored(startFlow(flow, ctx()).state), { ok: true, status: 200, body: { status: 'x' } }, ctx());
      expect(enteredNodes(result)).toEqual(['done']);
      expect(result.events.some((event) => event.type === 'variable_set')).toBe(false);
    });

    it('follows onError when the request failed, recording the error', () => {
      const result = resumeAfterHttp(flowWith(), waiting(), { ok: false, error: 'timeout after 5000 ms' }, ctx());
      expect(result.events).toEqual([
        { type: 'error', nodeId: 'lookup', message: 'http request failed: timeout after 5000 ms' },
        { type: 'node_entered', nodeId: 'failed' },
        { type: 'ended', nodeId: 'failed' },
      ]);
      expect(sentTexts(result)).toEqual(['Lookup failed']);
    });

    it.each([199, 302, 404, 500])('treats HTTP %d as a failure', (status) => {
      const result = resumeAfterHttp(flowWith(), waiting(), { ok: true, status, body: {} }, ctx());
      expect(result.events[0]).toEqual({ type: 'error', nodeId: 'lookup', message: `http request failed: HTTP ${status}` });
      expect(enteredNodes(result)).toEqual(['failed']);
    });

    it('hands off on failure when there is no onError', () => {
      const flow = flowWith({ onError: undefined });
      const result = resumeAfterHttp(flow, stored(startFlow(flow, ctx()).state), { ok: false, error: 'x'.repeat(500) }, ctx());
      expect(result.events).toEqual([
        { type: 'error', nodeId: 'lookup', message: `http request failed: ${'x'.repeat(200)}…` },
        { type: 'handoff', nodeId: 'lookup', reason: 'error' },
      ]);
      expect(result.handoff).toBe(true);
      expect(result.state.status).toBe('handed_off');
    });

    it('changes nothing for an outcome that comes late or twice', () => {
      const flow = flowWith();
      const done = resumeAfterHttp(flow, waiting(), { ok: true, status: 200, body: {} }, ctx()).state;
      const again = resumeAfterHttp(flow, done, { ok: true, status: 200, body: {} }, ctx());
      expect(again).toEqual({ state: done, outputs: [], events: [], handoff: false, ended: false });
      const asking: BotState = { ...waiting(), waitingFor: 'reply' };
      expect(resumeAfterHttp(flow, asking, { ok: false, error: 'x' }, ctx()).state).toBe(asking);
    });

    it('hands off with an error for a state of another version, or waiting at a node that is not http', () => {
      const flow = flowWith();
      expect(resumeAfterHttp({ ...flow, version: 9 }, waiting(), { ok: false, error: 'x' }, ctx()).events[0]).toMatchObject({ type: 'error' });
      const elsewhere = resumeAfterHttp(flow, { ...waiting(), currentNodeId: 'seed' }, { ok: false, error: 'x' }, ctx());
      expect(elsewhere.events[0]).toEqual({ type: 'error', nodeId: 'seed', message: 'the session is not waiting for an HTTP outcome at "seed" (set)' });
      const gone = resumeAfterHttp(flow, { ...waiting(), currentNodeId: 'gone' }, { ok: false, error: 'x' }, ctx());
      expect(gone.state.status).toBe('handed_off');
    });
  });
});
