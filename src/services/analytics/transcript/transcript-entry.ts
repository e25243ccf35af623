/**
 * One transcript entry per conversation_event row, as GraphQL shows it and the JSON-lines export
 * writes it (pure: rows in, entries out).
 */

export enum TranscriptEntryKind {
  MESSAGE = 'MESSAGE',
  MESSAGE_STATUS = 'MESSAGE_STATUS',
  REACTION = 'REACTION',
  BOT_STEP = 'BOT_STEP',
  HANDOFF = 'HANDOFF',
  ASSIGNMENT = 'ASSIGNMENT',
  STATUS_CHANGE = 'STATUS_CHANGE',
  CONVERSATION_OPENED = 'CONVERSATION_OPENED',
  WINDOW_CLOSING_SOON = 'WINDOW_CLOSING_SOON',
  ERROR = 'ERROR',
}

export enum TranscriptActorKind {
  MEMBER = 'MEMBER',
  API_KEY = 'API_KEY',
  BOT = 'BOT',
  CUSTOMER = 'CUSTOMER',
  UNKNOWN = 'UNKNOWN',
}

export interface TranscriptPerson {
  id: string;
  name: string;
  email: string;
}

/** Who changed a status or an assignment. */
export interface TranscriptActor {
  kind: TranscriptActorKind;
  /** The member or API key id (null for the bot and the customer). */
  id: string | null;
  /** The member's or the key's name. */
  name: string | null;
  email: string | null;
}

export interface TranscriptMessage {
  id: string;
  wamid: string | null;
  direction: string;
  type: string;
  text: string | null;
  /** The message's latest status (MESSAGE_STATUS entries show each move). */
  status: string;
  author: string;
  authorUser: TranscriptPerson | null;
  errorCode: string | null;
  errorTitle: string | null;
  flowNodeId: string | null;
}

export interface TranscriptBotStep {
  /** node_entered, variable_set, validation_failed, retried, handoff, ended, expired, error */
  step: string;
  flowId: string | null;
  flowVersion: number | null;
  nodeId: string | null;
  reason: string | null;
  attempts: number | null;
  /** variable_set: the variable's name (values stay in the bot state). */
  variable: string | null;
  error: string | null;
}

export interface TranscriptEntry {
  cursor: string;
  at: Date;
  kind: TranscriptEntryKind;
  /** One readable line: who did what. */
  summary: string;
  message: TranscriptMessage | null;
  messageStatus: string | null;
  errorCode: string | null;
  errorTitle: string | null;
  emoji: string | null;
  targetWamid: string | null;
  bot: TranscriptBotStep | null;
  status: string | null;
  previousStatus: string | null;
  /** ASSIGNMENT: the member assigned (null: unassigned). */
  agent: TranscriptPerson | null;
  by: TranscriptActor | null;
}

/** A conversation_event row with its message (when it is about one) joined. */
export interface TranscriptRow {
  id: string;
  type: string;
  at: Date;
  data: Record<string, unknown>;
  m_id: string | null;
  m_wamid: string | null;
  m_direction: string | null;
  m_type: string | null;
  m_text: string | null;
  m_status: string | null;
  m_author_kind: string | null;
  m_author_user_id: string | null;
  m_error_code: string | null;
  m_error_title: string | null;
  m_flow_node_id: string | null;
}

/** Members and API keys of the organization, by id. */
export interface TranscriptPeople {
  members: Map<string, TranscriptPerson>;
  apiKeys: Map<string, { id: string; name: string }>;
}

const CONVERSATION_STATUSES = new Set(['BOT', 'WAITING_AGENT', 'WITH_AGENT', 'CLOSED']);
const MESSAGE_STATUSES = new Set(['RECEIVED', 'QUEUED', 'SENT', 'DELIVERED', 'READ', 'PLAYED', 'FAILED']);

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const oneOf = (allowed: Set<string>, value: unknown): string | null => (typeof value === 'string' && allowed.has(value) ? value : null);
const quote = (value: string | null, max = 80) => (value === null ? '' : value.length > max ? `${value.slice(0, max - 1)}…` : value);

/** Member and key ids an entry may name, to load them for a page in one query. */
export function idsToResolve(rows: readonly TranscriptRow[]): string[] {
  const ids = new Set<string>();
  for (const row of rows) {
    for (const value of [row.m_author_user_id, text(row.data.userId), text(row.data.by)]) if (value) ids.add(value);
  }
  return [...ids];
}

function actorOf(by: unknown, people: TranscriptPeople): TranscriptActor | null {
  const id = text(by);
  if (id === null) return null;
  if (id === 'bot') return { kind: TranscriptActorKind.BOT, id: null, name: null, email: null };
  if (id === 'customer') return { kind: TranscriptActorKind.CUSTOMER, id: null, name: null, email: null };
  const member = people.members.get(id);
  if (member) return { kind: TranscriptActorKind.MEMBER, id, name: member.name, email: member.email };
  const key = people.apiKeys.get(id);
  if (key) return { kind: TranscriptActorKind.API_KEY, id, name: key.name, email: null };
  return { kind: TranscriptActorKind.UNKNOWN, id, name: null, email: null };
}

const actorLabel = (actor: TranscriptActor | null) => {
  if (!actor) return '';
  switch (actor.kind) {
    case TranscriptActorKind.MEMBER:
      return ` by ${actor.name} <${actor.email}>`;
    case TranscriptActorKind.API_KEY:
      return ` by API key ${actor.name}`;
    case TranscriptActorKind.BOT:
      return ' by the bot';
    case TranscriptActorKind.CUSTOMER:
      return ' by the customer';
    default:
      return '';
  }
};

function messageOf(row: TranscriptRow, people: TranscriptPeople): TranscriptMessage | null {
  if (!row.m_id) return null;
  return {
    id: row.m_id,
    wamid: row.m_wamid,
    direction: row.m_direction!,
    type: row.m_type!,
    text: row.m_text,
    status: row.m_status!,
    author: row.m_author_kind!,
    authorUser: row.m_author_user_id ? (people.members.get(row.m_author_user_id) ?? null) : null,
    errorCode: row.m_error_code,
    errorTitle: row.m_error_title,
    flowNodeId: row.m_flow_node_id,
  };
}

function messageSummary(message: TranscriptMessage | null): string {
  if (!message) return 'A message (no longer stored)';
  const body = message.text !== null ? quote(message.text) : `[${message.type}]`;
  if (message.direction === 'IN') return `Customer: ${body}`;
  const who =
    message.author === 'AGENT' && message.authorUser
      ? `Agent ${message.authorUser.name}`
      : message.author === 'BOT'
        ? 'Bot'
        : message.author === 'API'
          ? 'API'
          : message.author === 'AGENT'
            ? 'Agent'
            : 'System';
  return `${who}: ${body}`;
}

function botStepOf(data: Record<string, unknown>): TranscriptBotStep {
  return {
    step: text(data.type) ?? 'unknown',
    flowId: text(data.flowId),
    flowVersion: typeof data.flowVersion === 'number' ? data.flowVersion : null,
    nodeId: text(data.nodeId),
    reason: text(data.reason),
    attempts: typeof data.attempts === 'number' ? data.attempts : null,
    variable: text(data.name),
    error: text(data.message),
  };
}

function botSummary(step: TranscriptBotStep): string {
  const at = step.nodeId ? ` at node ${step.nodeId}` : '';
  switch (step.step) {
    case 'node_entered':
      return `Bot entered node ${step.nodeId}`;
    case 'variable_set':
      return `Bot set variable ${step.variable}`;
    case 'validation_failed':
      return `Bot: the answer${at} failed validation${step.attempts !== null ? ` (attempt ${step.attempts})` : ''}`;
    case 'retried':
      return `Bot asked again${at}`;
    case 'handoff':
      return `Bot handed off to an agent${at}${step.reason ? ` (${step.reason})` : ''}`;
    case 'ended':
      return `Bot flow ended${at}`;
    case 'expired':
      return `Bot session expired${at}`;
    case 'error':
      return `Bot error${at}${step.error ? `: ${quote(step.error)}` : ''}`;
    default:
      return `Bot step ${step.step}${at}`;
  }
}

const blank = (row: TranscriptRow, kind: TranscriptEntryKind, summary: string): TranscriptEntry => ({
  cursor: row.id,
  at: new Date(row.at),
  kind,
  summary,
  message: null,
  messageStatus: null,
  errorCode: null,
  errorTitle: null,
  emoji: null,
  targetWamid: null,
  bot: null,
  status: null,
  previousStatus: null,
  agent: null,
  by: null,
});

/** The entry of one log row; `people` resolves the member and key ids it names. */
export function transcriptEntry(row: TranscriptRow, people: TranscriptPeople): TranscriptEntry {
  const data = row.data ?? {};
  switch (row.type) {
    case 'MESSAGE_RECEIVED':
    case 'MESSAGE_SENT': {
      const message = messageOf(row, people);
      return { ...blank(row, TranscriptEntryKind.MESSAGE, messageSummary(message)), message };
    }
    case 'MESSAGE_STATUS_CHANGED': {
      const messageStatus = oneOf(MESSAGE_STATUSES, data.status);
      const errorCode = text(data.errorCode) || null;
      const errorTitle = text(data.errorTitle) || null;
      const failure = messageStatus === 'FAILED' && (errorCode || errorTitle) ? `: ${[errorCode, errorTitle].filter(Boolean).join(' ')}` : '';
      const message = messageOf(row, people);
      const which = message?.text ? ` "${quote(message.text, 40)}"` : '';
      return { ...blank(row, TranscriptEntryKind.MESSAGE_STATUS, `Message${which} ${messageStatus ?? 'changed status'}${failure}`), message, messageStatus, errorCode, errorTitle };
    }
    case 'REACTION': {
      const emoji = text(data.emoji);
      const summary = emoji ? `Customer reacted ${emoji}` : 'Customer removed a reaction';
      return { ...blank(row, TranscriptEntryKind.REACTION, summary), emoji, targetWamid: text(data.targetWamid) };
    }
    case 'BOT': {
      const bot = botStepOf(data);
      return { ...blank(row, bot.step === 'handoff' ? TranscriptEntryKind.HANDOFF : TranscriptEntryKind.BOT_STEP, botSummary(bot)), bot };
    }
    case 'STATUS_CHANGED': {
      const status = oneOf(CONVERSATION_STATUSES, data.status);
      const previousStatus = oneOf(CONVERSATION_STATUSES, data.previous);
      const by = actorOf(data.by, people);
      // A person taking the conversation from the bot (handoffToAgent) is a handoff too.
      const handoff = previousStatus === 'BOT' && (status === 'WAITING_AGENT' || status === 'WITH_AGENT') && by?.kind !== TranscriptActorKind.BOT;
      const summary = handoff
        ? `Handed off to ${status === 'WITH_AGENT' ? 'the assigned agent' : 'the agent queue'}${actorLabel(by)}`
        : `Status ${previousStatus ?? '?'} → ${status ?? '?'}${actorLabel(by)}`;
      return { ...blank(row, handoff ? TranscriptEntryKind.HANDOFF : TranscriptEntryKind.STATUS_CHANGE, summary), status, previousStatus, by };
    }
    case 'ASSIGNED': {
      const assigneeId = text(data.userId);
      const agent = assigneeId ? (people.members.get(assigneeId) ?? null) : null;
      const by = actorOf(data.by, people);
      const summary = assigneeId ? `Assigned to ${agent ? `${agent.name} <${agent.email}>` : 'a former member'}${actorLabel(by)}` : `Unassigned${actorLabel(by)}`;
      return {
        ...blank(row, TranscriptEntryKind.ASSIGNMENT, summary),
        agent,
        status: oneOf(CONVERSATION_STATUSES, data.status),
        previousStatus: oneOf(CONVERSATION_STATUSES, data.previous),
        by,
      };
    }
    case 'CONVERSATION_OPENED':
      return blank(row, TranscriptEntryKind.CONVERSATION_OPENED, 'Conversation opened');
    case 'WINDOW_CLOSING_SOON':
      return blank(row, TranscriptEntryKind.WINDOW_CLOSING_SOON, `The 24-hour window closes at ${text(data.expiresAt) ?? 'the end of the hour'}`);
    default: {
      const error = text(data.message);
      return { ...blank(row, TranscriptEntryKind.ERROR, `Error${error ? `: ${quote(error)}` : ''}`), errorCode: text(data.code) };
    }
  }
}

/** The JSON-lines form: the entry without empty fields, one line. */
export function transcriptLine(entry: TranscriptEntry): string {
  return JSON.stringify(entry, (_key, value: unknown) => (value === null ? undefined : value));
}
