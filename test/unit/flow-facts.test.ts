import {
  deriveFlowSessions,
  type FlowLogEvent,
  type FlowVersionFacts,
  type LoggedMessage,
  type NodeVisitFact,
  type SessionFact,
} from '../../src/services/analytics/flows/flow-session.derivation';

/**
 * Session derivation over event logs shaped like the runtime's: per bot step, the customer's
 * message, then the bot's replies (each naming its node), then the step's BOT events.
 */

const FLOW = 'f0000000-0000-4000-8000-000000000001';
const OTHER = 'f0000000-0000-4000-8000-000000000002';
const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000);

const versions = new Map<string, FlowVersionFacts>([
  [`${FLOW}:1`, { ttlMinutes: 60, waitsForReply: new Set(['welcome', 'ask']) }],
  [`${FLOW}:2`, { ttlMinutes: 1440, waitsForReply: new Set(['welcome', 'ask']) }],
  [`${OTHER}:1`, { ttlMinutes: 1440, waitsForReply: new Set(['q']) }],
]);
const lookup = (flowId: string, version: number) => versions.get(`${flowId}:${version}`);

/** Builds a log and its messages step by step, ids in order. */
class Log {
  readonly events: FlowLogEvent[] = [];
  readonly messages = new Map<string, LoggedMessage>();
  private next = 1;

  private push(type: string, data: Record<string, unknown>, seconds: number) {
    const id = String(this.next++);
    this.events.push({ id, at: at(seconds), type, data });
    return id;
  }

  inbound(seconds: number) {
    const messageId = `in-${this.next}`;
    this.messages.set(messageId, { at: at(seconds), flow: null, failed: false });
    this.push('MESSAGE_RECEIVED', { messageId }, seconds);
    return this;
  }

  reply(seconds: number, nodeId: string, options: { failed?: boolean; flowId?: string; version?: number } = {}) {
    const messageId = `out-${this.next}`;
    this.messages.set(messageId, { at: at(seconds), flow: { id: options.flowId ?? FLOW, version: options.version ?? 1, nodeId }, failed: options.failed ?? false });
    this.push('MESSAGE_SENT', { messageId, author: 'BOT' }, seconds);
    return this;
  }

  agentMessage(seconds: number) {
    const messageId = `agent-${this.next}`;
    this.messages.set(messageId, { at: at(seconds), flow: null, failed: false });
    this.push('MESSAGE_SENT', { messageId, author: 'AGENT' }, seconds);
    return this;
  }

  bot(seconds: number, data: Record<string, unknown>, flow: { id: string; version: number } = { id: FLOW, version: 1 }) {
    this.push('BOT', { ...data, flowId: flow.id, flowVersion: flow.version }, seconds);
    return this;
  }

  entered(seconds: number, ...nodeIds: string[]) {
    for (const nodeId of nodeIds) this.bot(seconds, { type: 'node_entered', nodeId });
    return this;
  }

  status(seconds: number, status: string, by: string) {
    this.push('STATUS_CHANGED', { status, by }, seconds);
    return this;
  }

  derive(): SessionFact[] {
    return deriveFlowSessions(this.events, this.messages, lookup);
  }
}

const node = (session: SessionFact, nodeId: string): NodeVisitFact => {
  const found = session.nodes.find((visit) => visit.nodeId === nodeId);
  if (!found) throw new Error(`no visit of ${nodeId}`);
  return found;
};

const exits = (overrides: Partial<NodeVisitFact['exits']>) => ({ continued: 0, retried: 0, validationFailed: 0, abandoned: 0, handedOff: 0, ended: 0, ...overrides });

describe('deriveFlowSessions', () => {
  it('follows a completed session: answers, a retry, exits, time to answer and message counts', () => {
    const log = new Log()
      .inbound(0).reply(0, 'welcome').entered(0, 'welcome') // "hi" starts the flow
      .inbound(30).reply(30, 'ask').entered(30, 'ask') // taps a button after 30 s
      .inbound(50).reply(50, 'ask').bot(50, { type: 'validation_failed', nodeId: 'ask', attempts: 1 }).bot(50, { type: 'retried', nodeId: 'ask' })
      .inbound(80).reply(80, 'bye').entered(80, 'set_x').bot(80, { type: 'variable_set', name: 'x', value: 1 }).entered(80, 'bye').bot(80, { type: 'ended', nodeId: 'bye' });
    const [session, ...rest] = log.derive();
    expect(rest).toEqual([]);
    expect(session).toMatchObject({
      startEventId: '3',
      flowId: FLOW,
      flowVersion: 1,
      startedAt: at(0),
      lastActivityAt: at(80),
      endedAt: at(80),
      expiresAt: null,
      outcome: 'completed',
      endNodeId: 'bye',
      inboundMessages: 3, // the trigger "hi" is not counted
      outboundMessages: 4,
    });
    expect(node(session!, 'welcome')).toMatchObject({ visits: 1, exits: exits({ continued: 1 }), secondsToAnswer: 30, firstEnteredAt: at(0) });
    expect(node(session!, 'ask')).toMatchObject({ visits: 1, validationFailures: 1, retries: 1, exits: exits({ retried: 1 }), secondsToAnswer: 20 });
    expect(node(session!, 'set_x')).toMatchObject({ exits: exits({ continued: 1 }), secondsToAnswer: null });
    expect(node(session!, 'bye')).toMatchObject({ exits: exits({ ended: 1 }), deliveryFailed: false });
  });

  it('ends at the last invalid answer: validation failed at the question, handed off as a session', () => {
    const log = new Log()
      .inbound(0).reply(0, 'ask').entered(0, 'ask')
      .inbound(10).bot(10, { type: 'validation_failed', nodeId: 'ask', attempts: 1 }).bot(10, { type: 'retried', nodeId: 'ask' })
      .inbound(20).bot(20, { type: 'validation_failed', nodeId: 'ask', attempts: 2 }).bot(20, { type: 'handoff', nodeId: 'ask', reason: 'invalid' })
      .status(20, 'WAITING_AGENT', 'bot');
    const [session] = log.derive();
    expect(session).toMatchObject({ outcome: 'handed_off', endNodeId: 'ask', endedAt: at(20) });
    expect(node(session!, 'ask')).toMatchObject({ validationFailures: 2, retries: 1, exits: exits({ validationFailed: 1 }), secondsToAnswer: 10 });
  });

  it('counts going on to onInvalid as a validation failure of the question', () => {
    const log = new Log()
      .inbound(0).reply(0, 'ask').entered(0, 'ask')
      .inbound(10).reply(10, 'agent').bot(10, { type: 'validation_failed', nodeId: 'ask', attempts: 1 }).entered(10, 'agent').bot(10, { type: 'handoff', nodeId: 'agent', reason: 'node' });
    const [session] = log.derive();
    expect(node(session!, 'ask').exits).toEqual(exits({ validationFailed: 1 }));
    expect(node(session!, 'agent').exits).toEqual(exits({ handedOff: 1 }));
    expect(session!.outcome).toBe('handed_off');
  });

  it('abandons a session at its expired event, where it waited, and splits delivery failure from silence', () => {
    const log = new Log()
      .inbound(0).reply(0, 'welcome', { failed: true }).entered(0, 'welcome')
      .bot(7200, { type: 'expired', nodeId: 'welcome' });
    const [session] = log.derive();
    // TTL of version 1 is 60 minutes: the session lapsed at 3600 s, before the sweep noticed.
    expect(session).toMatchObject({ outcome: 'abandoned', lastActivityAt: at(0), endedAt: at(3600), endNodeId: 'welcome', outboundMessages: 1 });
    expect(node(session!, 'welcome')).toMatchObject({ exits: exits({ abandoned: 1 }), deliveryFailed: true, secondsToAnswer: null });
  });

  it('takes an expired event before the TTL at its word', () => {
    const [session] = new Log().inbound(0).reply(0, 'welcome').entered(0, 'welcome').bot(600, { type: 'expired', nodeId: 'welcome' }).derive();
    expect(session).toMatchObject({ outcome: 'abandoned', endedAt: at(600), lastActivityAt: at(0) });
  });

  it('closes an idle session when the next message comes after its TTL, and starts the next one from it', () => {
    const log = new Log()
      .inbound(0).reply(0, 'welcome').entered(0, 'welcome')
      .inbound(30).reply(30, 'ask').entered(30, 'ask')
      // 2 hours later (TTL 60 min): the runtime logs expired, then starts the flow again.
      .inbound(7230).bot(7230, { type: 'expired', nodeId: 'ask' }).reply(7230, 'welcome').entered(7230, 'welcome');
    const [first, second, ...rest] = log.derive();
    expect(rest).toEqual([]);
    expect(first).toMatchObject({ outcome: 'abandoned', lastActivityAt: at(30), endedAt: at(3630), inboundMessages: 1, outboundMessages: 2, endNodeId: 'ask' });
    expect(node(first!, 'ask').exits).toEqual(exits({ abandoned: 1 }));
    expect(second).toMatchObject({ outcome: 'active', startedAt: at(7230), inboundMessages: 0, outboundMessages: 1, expiresAt: at(7230 + 3600) });
    expect(node(second!, 'welcome')).toMatchObject({ waitingUntil: at(7230 + 3600), exits: exits({}) });
  });

  it('leaves a session waiting at the end of the log active, with its deadline', () => {
    const [session] = new Log().inbound(0).reply(0, 'welcome').entered(0, 'welcome').inbound(40).entered(40, 'ask').derive();
    expect(session).toMatchObject({ outcome: 'active', endedAt: null, expiresAt: at(40 + 3600), endNodeId: 'ask', inboundMessages: 1 });
    expect(node(session!, 'ask').waitingUntil).toEqual(at(40 + 3600));
    expect(node(session!, 'welcome').waitingUntil).toBeNull();
  });

  it('uses the default TTL of a day for an unknown version', () => {
    const unknown = { id: FLOW, version: 9 };
    const [session] = new Log().bot(0, { type: 'node_entered', nodeId: 'x' }, unknown).derive();
    expect(session).toMatchObject({ flowVersion: 9, outcome: 'active', expiresAt: at(86_400) });
  });

  it('splits a jump to another flow into a completed session and a new one that owns its replies', () => {
    const log = new Log()
      .inbound(0).reply(0, 'welcome').entered(0, 'welcome')
      .inbound(20).entered(20, 'go').bot(20, { type: 'ended', nodeId: 'go' })
      .reply(20, 'q', { flowId: OTHER, failed: true })
      .bot(20, { type: 'node_entered', nodeId: 'q' }, { id: OTHER, version: 1 });
    const [first, second] = log.derive();
    expect(first).toMatchObject({ flowId: FLOW, outcome: 'completed', endNodeId: 'go', outboundMessages: 1, inboundMessages: 1 });
    expect(node(first!, 'go').exits).toEqual(exits({ ended: 1 }));
    expect(second).toMatchObject({ flowId: OTHER, outcome: 'active', outboundMessages: 1, startedAt: at(20) });
    expect(node(second!, 'q').deliveryFailed).toBe(true);
  });

  it('counts a person taking over as a handoff where the bot waited, unless the bot is given the conversation back', () => {
    const takenOver = new Log()
      .inbound(0).reply(0, 'welcome').entered(0, 'welcome')
      .status(100, 'WAITING_AGENT', 'user-1')
      .inbound(120).agentMessage(130)
      .bot(90_000, { type: 'expired', nodeId: 'welcome' }) // the sweep, a day later
      .derive();
    expect(takenOver).toHaveLength(1);
    expect(takenOver[0]).toMatchObject({ outcome: 'handed_off', endedAt: at(100), lastActivityAt: at(100), inboundMessages: 0, outboundMessages: 1 });
    expect(node(takenOver[0]!, 'welcome').exits).toEqual(exits({ handedOff: 1 }));

    const resumed = new Log()
      .inbound(0).reply(0, 'welcome').entered(0, 'welcome')
      .status(100, 'WITH_AGENT', 'user-1')
      .status(200, 'BOT', 'user-1')
      .inbound(300).entered(300, 'ask')
      .derive();
    expect(resumed).toHaveLength(1);
    expect(resumed[0]).toMatchObject({ outcome: 'active', inboundMessages: 1 });
    expect(node(resumed[0]!, 'welcome').exits).toEqual(exits({ continued: 1 }));
  });

  it('is not a takeover when the customer reopens a closed conversation or the bot moves it', () => {
    const [session] = new Log()
      .inbound(0).reply(0, 'welcome').entered(0, 'welcome')
      .status(10, 'WAITING_AGENT', 'customer')
      .status(10, 'BOT', 'bot')
      .inbound(20).entered(20, 'ask')
      .derive();
    expect(session).toMatchObject({ outcome: 'active', inboundMessages: 1 });
  });

  it('counts each visit of a node entered twice in one session', () => {
    const [session] = new Log()
      .inbound(0).entered(0, 'welcome')
      .inbound(10).entered(10, 'loop', 'welcome')
      .inbound(25).entered(25, 'bye').bot(25, { type: 'ended', nodeId: 'bye' })
      .derive();
    expect(node(session!, 'welcome')).toMatchObject({ visits: 2, exits: exits({ continued: 2 }), secondsToAnswer: 10, firstEnteredAt: at(0) });
  });

  it("links each node row to the conversation's previous session that entered the node, per flow version", () => {
    const sessions = new Log()
      .entered(0, 'welcome', 'bye').bot(0, { type: 'ended', nodeId: 'bye' })
      .entered(100, 'welcome').bot(100, { type: 'ended', nodeId: 'welcome' })
      .bot(200, { type: 'node_entered', nodeId: 'welcome' }, { id: FLOW, version: 2 })
      .bot(200, { type: 'ended', nodeId: 'welcome' }, { id: FLOW, version: 2 })
      .entered(300, 'bye').bot(300, { type: 'ended', nodeId: 'bye' })
      .derive();
    expect(sessions.map((session) => session.nodes.map((visit) => [visit.nodeId, visit.previousSessionStartedAt]))).toEqual([
      [['welcome', null], ['bye', null]],
      [['welcome', at(0)]],
      [['welcome', null]], // version 2 is counted apart
      [['bye', at(0)]],
    ]);
  });

  it('restarts a session of the same flow after its TTL even without an expired event (returnToBot)', () => {
    const sessions = new Log().entered(0, 'welcome').entered(4000, 'welcome').derive();
    expect(sessions.map((session) => session.outcome)).toEqual(['abandoned', 'active']);
    expect(sessions[0]).toMatchObject({ endedAt: at(3600) });
  });

  it('abandons a session that another flow replaced without an end, when that flow started', () => {
    const sessions = new Log()
      .entered(0, 'welcome')
      .bot(100, { type: 'node_entered', nodeId: 'q' }, { id: OTHER, version: 1 })
      .derive();
    expect(sessions.map((session) => [session.flowId, session.outcome, session.endedAt])).toEqual([
      [FLOW, 'abandoned', at(100)],
      [OTHER, 'active', null],
    ]);
    expect(node(sessions[0]!, 'welcome').exits).toEqual(exits({ abandoned: 1 }));
  });

  it('ignores BOT events with no session open, and entries without a flow', () => {
    const sessions = new Log()
      .bot(0, { type: 'expired', nodeId: 'welcome' })
      .bot(1, { type: 'handoff', nodeId: 'x', reason: 'error' })
      .inbound(2)
      .derive();
    expect(sessions).toEqual([]);
    const log = new Log();
    log.events.push({ id: '1', at: at(0), type: 'BOT', data: { type: 'node_entered', nodeId: 'x' } });
    expect(log.derive()).toEqual([]);
  });

  it('ends an http wait with the error handoff at the http node', () => {
    const [session] = new Log()
      .inbound(0).reply(0, 'ask').entered(0, 'ask')
      .inbound(5).entered(5, 'lookup')
      .inbound(6) // a message while the request runs is activity, not an answer
      .bot(8, { type: 'error', nodeId: 'lookup', message: 'http request failed: HTTP 500' })
      .bot(8, { type: 'handoff', nodeId: 'lookup', reason: 'error' })
      .derive();
    expect(session).toMatchObject({ outcome: 'handed_off', endNodeId: 'lookup', inboundMessages: 2, lastActivityAt: at(8) });
    expect(node(session!, 'lookup')).toMatchObject({ exits: exits({ handedOff: 1 }), secondsToAnswer: null });
  });
});
