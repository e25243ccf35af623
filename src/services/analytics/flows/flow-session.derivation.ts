/**
 * Bot sessions and node visits of one conversation, derived from its event log: pure, no I/O, so
 * that every rule of what a session is and how a node was left is tested without a database.
 *
 * The runtime appends, per bot step and in one transaction: the customer's message
 * (MESSAGE_RECEIVED), the bot's replies (MESSAGE_SENT, each message naming its flow node), then
 * the step's BOT events. Events are therefore walked in id order, and a reply is tied to its node
 * by the message's flow node, not by its place in the log (a reply precedes its node_entered).
 */

export const DEFAULT_SESSION_TTL_MINUTES = 1440;
/** Flow validation's limit: a longer id names no node of any flow. */
const MAX_NODE_ID_LENGTH = 100;

export type SessionOutcome = 'completed' | 'handed_off' | 'abandoned' | 'active';

export interface FlowLogEvent {
  /** conversation_event id: the log's order. */
  id: string;
  at: Date;
  type: string;
  data: Record<string, unknown>;
}

export interface LoggedMessage {
  /** message.created_at */
  at: Date;
  /** Set on the bot's messages: the flow version and node that sent it. */
  flow: { id: string; version: number; nodeId: string } | null;
  /** Meta reported the message FAILED. */
  failed: boolean;
}

export interface FlowVersionFacts {
  ttlMinutes: number;
  /** Nodes that wait for the customer's reply: questions, and messages with buttons or a list. */
  waitsForReply: ReadonlySet<string>;
}

export type VersionLookup = (flowId: string, version: number) => FlowVersionFacts | undefined;

/** How visits of a node ended; each visit ends one way (or is still waiting). */
export interface NodeExits {
  /** Moved on (a valid answer at the first try, or a node that does not wait). */
  continued: number;
  /** Moved on with a valid answer after at least one retry. */
  retried: number;
  /** The last allowed invalid answer: on to onInvalid, or handed off. */
  validationFailed: number;
  /** The session expired (or went idle past its TTL) waiting here. */
  abandoned: number;
  /** A person took over here (handoff node, HTTP or engine error, or an agent took the conversation). */
  handedOff: number;
  /** The session ended here (an end node, or a jump to another flow). */
  ended: number;
}

export interface NodeVisitFact {
  nodeId: string;
  visits: number;
  firstEnteredAt: Date;
  validationFailures: number;
  retries: number;
  exits: NodeExits;
  /** The session is active and waits here: abandoned once this time passes. */
  waitingUntil: Date | null;
  /** From the first entry to the customer's first message after it (nodes that wait for a reply only). */
  secondsToAnswer: number | null;
  /** A message this node sent in this session failed. */
  deliveryFailed: boolean;
  /** When the conversation's previous session of this flow version that entered this node started. */
  previousSessionStartedAt: Date | null;
}

export interface SessionFact {
  /** The conversation_event id of the node_entered that started the session. */
  startEventId: string;
  flowId: string;
  flowVersion: number;
  startedAt: Date;
  lastActivityAt: Date;
  /** Null while active. For an abandoned session: when it lapsed. */
  endedAt: Date | null;
  /** Active sessions only: when it counts as abandoned. */
  expiresAt: Date | null;
  outcome: SessionOutcome;
  /** Where it ended, or where it waits. */
  endNodeId: string | null;
  inboundMessages: number;
  outboundMessages: number;
  nodes: NodeVisitFact[];
}

const PEOPLE_STATUSES = new Set(['WAITING_AGENT', 'WITH_AGENT']);
/** Status moves made by the bot itself or by a customer writing again are not a person taking over. */
const AUTOMATIC_ACTORS = new Set(['bot', 'customer']);

interface OpenSession {
  fact: SessionFact;
  ttlMs: number;
  waitsForReply: ReadonlySet<string>;
  visits: Map<string, NodeVisitFact>;
  current: string | null;
  currentEnteredAt: Date;
  /** An invalid answer at the current node not followed by a retry: the next move is its consequence. */
  invalidPending: boolean;
  retriedThisVisit: boolean;
  /** A person took the conversation: the bot waits (returnToBot may resume it). */
  pausedAt: Date | null;
  sentNodes: { nodeId: string; failed: boolean }[];
}

const emptyExits = (): NodeExits => ({ continued: 0, retried: 0, validationFailed: 0, abandoned: 0, handedOff: 0, ended: 0 });

const asString = (value: unknown): string | null => (typeof value === 'string' && value ? value : null);
const asVersion = (value: unknown): number | null => (typeof value === 'number' && Number.isInteger(value) ? value : null);

export function deriveFlowSessions(events: readonly FlowLogEvent[], messages: ReadonlyMap<string, LoggedMessage>, versions: VersionLookup): SessionFact[] {
  return linkRepeatVisits(new SessionWalk(messages, versions).run(events));
}

/** Lets a report count distinct conversations per node without a sort: each visit row knows the conversation's previous one. */
function linkRepeatVisits(sessions: SessionFact[]): SessionFact[] {
  const lastStart = new Map<string, Date>();
  for (const session of sessions) {
    for (const node of session.nodes) {
      const key = `${session.flowId}:${session.flowVersion}:${node.nodeId}`;
      node.previousSessionStartedAt = lastStart.get(key) ?? null;
      lastStart.set(key, session.startedAt);
    }
  }
  return sessions;
}

class SessionWalk {
  private readonly sessions: SessionFact[] = [];
  private open: OpenSession | null = null;
  /** Bot replies queued while no session was open: the start step's replies precede its node_entered. */
  private pending: LoggedMessage[] = [];

  constructor(
    private readonly messages: ReadonlyMap<string, LoggedMessage>,
    private readonly versions: VersionLookup,
  ) {}

  run(events: readonly FlowLogEvent[]): SessionFact[] {
    for (const event of events) this.apply(event);
    if (this.open) {
      if (this.open.pausedAt) this.finishPaused();
      else this.keepActive();
    }
    return this.sessions;
  }

  private apply(event: FlowLogEvent): void {
    const open = this.open;
    if (open && !open.pausedAt && event.at.getTime() >= this.expiry(open).getTime()) this.lapse(event.at);
    switch (event.type) {
      case 'MESSAGE_RECEIVED':
        return this.received(event);
      case 'MESSAGE_SENT':
        return this.sent(event);
      case 'STATUS_CHANGED':
      case 'ASSIGNED':
        return this.statusMoved(event);
      case 'BOT':
        return this.bot(event);
      default:
    }
  }

  private received(event: FlowLogEvent): void {
    const open = this.open;
    // With no session (or a person in charge) the message is not the bot's: a trigger, or for the agent.
    if (!open || open.pausedAt) return;
    const at = this.messageTime(event);
    open.fact.inboundMessages += 1;
    open.fact.lastActivityAt = maxDate(open.fact.lastActivityAt, at);
    const visit = open.current === null ? undefined : open.visits.get(open.current);
    if (visit && visit.secondsToAnswer === null && open.waitsForReply.has(visit.nodeId)) {
      visit.secondsToAnswer = Math.max(0, (at.getTime() - open.currentEnteredAt.getTime()) / 1000);
    }
  }

  private sent(event: FlowLogEvent): void {
    const message = this.message(event);
    const open = this.open;
    if (open && !open.pausedAt) {
      open.fact.outboundMessages += 1;
      if (message?.flow) open.sentNodes.push({ nodeId: message.flow.nodeId, failed: message.failed });
    } else if (!open && message?.flow) {
      this.pending.push(message);
    }
  }

  private statusMoved(event: FlowLogEvent): void {
    const open = this.open;
    const by = asString(event.data.by);
    if (!open || by === null || AUTOMATIC_ACTORS.has(by)) return;
    const status = asString(event.data.status);
    if (status !== null && PEOPLE_STATUSES.has(status)) open.pausedAt ??= event.at;
    else if (status === 'BOT') open.pausedAt = null;
  }

  private bot(event: FlowLogEvent): void {
    const type = asString(event.data.type);
    const flowId = asString(event.data.flowId);
    const flowVersion = asVersion(event.data.flowVersion);
    const open = this.open;
    const otherFlow = open !== null && flowId !== null && (flowId !== open.fact.flowId || flowVersion !== open.fact.flowVersion);

    if (open?.pausedAt && (type === 'expired' || otherFlow || event.at.getTime() >= this.expiry(open).getTime())) this.finishPaused();
    else if (open && type === 'node_entered' && otherFlow) this.lapse(event.at); // another flow started without an end
    else if (open?.pausedAt && !otherFlow) open.pausedAt = null; // the bot runs again: returnToBot resumed the session

    if (type === 'node_entered') {
      const nodeId = asString(event.data.nodeId);
      if (nodeId === null || nodeId.length > MAX_NODE_ID_LENGTH || flowId === null || flowVersion === null) return;
      if (!this.open) this.start(event, flowId, flowVersion);
      this.enter(nodeId, event.at);
      return;
    }
    const current = this.open;
    if (!current || otherFlow) return;
    if (type === 'expired') {
      this.leave('abandoned');
      this.close('abandoned', minDate(event.at, this.expiry(current)));
      return;
    }
    current.fact.lastActivityAt = maxDate(current.fact.lastActivityAt, event.at);
    const visit = current.current === null ? undefined : current.visits.get(current.current);
    switch (type) {
      case 'validation_failed':
        if (visit) visit.validationFailures += 1;
        current.invalidPending = true;
        return;
      case 'retried':
        if (visit) visit.retries += 1;
        current.invalidPending = false;
        current.retriedThisVisit = true;
        return;
      case 'handoff':
        this.leave(current.invalidPending ? 'validationFailed' : 'handedOff');
        return this.close('handed_off', event.at);
      case 'ended':
        this.leave('ended');
        return this.close('completed', event.at);
      default:
    }
  }

  private start(event: FlowLogEvent, flowId: string, flowVersion: number): void {
    const version = this.versions(flowId, flowVersion);
    const fact: SessionFact = {
      startEventId: event.id,
      flowId,
      flowVersion,
      startedAt: event.at,
      lastActivityAt: event.at,
      endedAt: null,
      expiresAt: null,
      outcome: 'active',
      endNodeId: null,
      inboundMessages: 0,
      outboundMessages: 0,
      nodes: [],
    };
    const open: OpenSession = {
      fact,
      ttlMs: (version?.ttlMinutes ?? DEFAULT_SESSION_TTL_MINUTES) * 60_000,
      waitsForReply: version?.waitsForReply ?? new Set(),
      visits: new Map(),
      current: null,
      currentEnteredAt: event.at,
      invalidPending: false,
      retriedThisVisit: false,
      pausedAt: null,
      sentNodes: [],
    };
    for (const message of this.pending) {
      if (message.flow?.id !== flowId || message.flow.version !== flowVersion) continue;
      fact.outboundMessages += 1;
      open.sentNodes.push({ nodeId: message.flow.nodeId, failed: message.failed });
    }
    this.pending = [];
    this.open = open;
  }

  private enter(nodeId: string, at: Date): void {
    const open = this.open!;
    if (open.current !== null) this.leave(open.invalidPending ? 'validationFailed' : open.retriedThisVisit ? 'retried' : 'continued');
    let visit = open.visits.get(nodeId);
    if (!visit) {
      visit = {
        nodeId,
        visits: 0,
        firstEnteredAt: at,
        validationFailures: 0,
        retries: 0,
        exits: emptyExits(),
        waitingUntil: null,
        secondsToAnswer: null,
        deliveryFailed: false,
        previousSessionStartedAt: null,
      };
      open.visits.set(nodeId, visit);
    }
    visit.visits += 1;
    open.current = nodeId;
    open.currentEnteredAt = at;
    open.invalidPending = false;
    open.retriedThisVisit = false;
    open.fact.lastActivityAt = maxDate(open.fact.lastActivityAt, at);
  }

  /** The current visit ends in `exit`. */
  private leave(exit: keyof NodeExits): void {
    const open = this.open!;
    const visit = open.current === null ? undefined : open.visits.get(open.current);
    if (visit) visit.exits[exit] += 1;
  }

  private close(outcome: Exclude<SessionOutcome, 'active'>, endedAt: Date): void {
    const open = this.open!;
    open.fact.outcome = outcome;
    open.fact.endedAt = endedAt;
    open.fact.endNodeId = open.current;
    this.finish(open);
  }

  /** The customer left the session waiting: it lapsed at its TTL, or earlier if something else replaced it at `at`. */
  private lapse(at: Date): void {
    const open = this.open!;
    this.leave('abandoned');
    this.close('abandoned', minDate(at, this.expiry(open)));
  }

  /** A person took the conversation and the bot never resumed: handed off where it waited. */
  private finishPaused(): void {
    const open = this.open!;
    open.fact.lastActivityAt = maxDate(open.fact.lastActivityAt, open.pausedAt!);
    this.leave('handedOff');
    this.close('handed_off', open.pausedAt!);
  }

  private keepActive(): void {
    const open = this.open!;
    const expiresAt = this.expiry(open);
    open.fact.expiresAt = expiresAt;
    open.fact.endNodeId = open.current;
    const visit = open.current === null ? undefined : open.visits.get(open.current);
    if (visit) visit.waitingUntil = expiresAt;
    this.finish(open);
  }

  private finish(open: OpenSession): void {
    for (const sent of open.sentNodes) {
      const visit = open.visits.get(sent.nodeId);
      if (visit && sent.failed) visit.deliveryFailed = true;
    }
    open.fact.nodes = [...open.visits.values()];
    this.sessions.push(open.fact);
    this.open = null;
  }

  private expiry(open: OpenSession): Date {
    return new Date(open.fact.lastActivityAt.getTime() + open.ttlMs);
  }

  private message(event: FlowLogEvent): LoggedMessage | undefined {
    const id = asString(event.data.messageId);
    return id === null ? undefined : this.messages.get(id);
  }

  private messageTime(event: FlowLogEvent): Date {
    return this.message(event)?.at ?? event.at;
  }
}

const maxDate = (a: Date, b: Date) => (b.getTime() > a.getTime() ? b : a);
const minDate = (a: Date, b: Date) => (b.getTime() < a.getTime() ? b : a);
