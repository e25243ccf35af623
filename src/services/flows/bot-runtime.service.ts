import { ConversationEventType } from '../../entities/conversation-event.entity';
import { Conversation, ConversationStatus } from '../../entities/conversation.entity';
import { AuthorKind, MessageType } from '../../entities/message.entity';
import type { EntityManager } from '../../db/entity-manager';
import { advanceFlow, resumeAfterHttp, startFlow, type BotState, type EngineOutput, type InboundInput, type StepResult } from '../../domain/flow/flow-engine';
import type { FlowDefinition } from '../../domain/flow/flow-validation';
import { buildTemplateComponents, templateParameterSpec } from '../../domain/template-rules';
import { buildContentRequest, buildTemplateRequest } from '../../meta/send-request.builder';
import { appendEvent, appendEvents, type EventDraft } from '../inbound/conversation-log';
import { insertOutbound, type OutboundDraft, type Queued } from '../outbound/queue-outbound.service';
import { jsonb, sql } from '../../db/sql';

/** Default bot session lifetime without activity (DESIGN.md section 11). */
const DEFAULT_TTL_MINUTES = 1440;
/** A chain of jumps between flows stops here, like the engine's own loop guard. */
const MAX_FLOW_JUMPS = 5;

export interface BotTurn {
  queued: Queued[];
  events: EventDraft[];
  /** An HTTP node waits for this request; the caller enqueues it after the commit. */
  http: { conversationId: string; nodeId: string; request: Extract<EngineOutput, { kind: 'http' }>['request'] } | null;
}

/** A flow as a conversation or channel points at it. */
export interface FlowRef {
  id: string;
  publishedVersion: number | null;
  archived: boolean;
}

/**
 * What the bot reads and changes of a conversation, as plain data rather than an entity: the
 * inbound path loads it with the statement that locks the row and writes it back with its other
 * changes in one UPDATE, so a bot turn costs no ORM work and no round trips of its own.
 */
export interface BotConversation {
  id: string;
  organizationId: string;
  channelId: string;
  wabaId: string;
  contact: { name: string | null; waId: string };
  /** The channel's default flow. */
  defaultFlow: FlowRef | null;
  status: ConversationStatus;
  botState: Record<string, unknown> | null;
  botExpiresAt: Date | null;
  /** The latest message the bot queued in this turn, for the conversation's `last_message_id`. */
  lastQueuedId: string | null;
}

const newTurn = (): BotTurn => ({ queued: [], events: [], http: null });

interface LoadedFlow {
  id: string;
  version: number;
  definition: FlowDefinition;
}

const ttlMinutes = (flow: LoadedFlow) => flow.definition.sessionTtlMinutes ?? DEFAULT_TTL_MINUTES;

/** Published versions never change, so each process keeps the most used ones in memory. */
const VERSION_CACHE_SIZE = 500;
const versionCache = new Map<string, LoadedFlow>();

async function loadVersion(em: EntityManager, flowId: string, version: number): Promise<LoadedFlow | null> {
  const key = `${flowId}:${version}`;
  const cached = versionCache.get(key);
  if (cached) {
    versionCache.delete(key);
    versionCache.set(key, cached); // most recently used last
    return cached;
  }
  const [found] = await sql<{ definition: FlowDefinition }>(em, `select definition from flow_version where flow_id = ? and version = ?`, [flowId, version]);
  if (!found) return null;
  const loaded = { id: flowId, version, definition: found.definition };
  versionCache.set(key, loaded);
  if (versionCache.size > VERSION_CACHE_SIZE) versionCache.delete(versionCache.keys().next().value!);
  return loaded;
}

async function loadPublished(em: EntityManager, flow: FlowRef | null): Promise<LoadedFlow | null> {
  if (!flow || flow.archived || !flow.publishedVersion) return null;
  return loadVersion(em, flow.id, flow.publishedVersion);
}

/** A flow of the organization by id (a jump's target, the last flow of a conversation). */
async function findFlow(em: EntityManager, organizationId: string, flowId: string): Promise<FlowRef | null> {
  const [row] = await sql<{ id: string; published_version: number | null; archived: boolean }>(
    em,
    `select id, published_version, archived_at is not null as archived from flow where id = ? and organization_id = ?`,
    [flowId, organizationId],
  );
  return row ? { id: row.id, publishedVersion: row.published_version, archived: row.archived } : null;
}

/** The organization's APPROVED template of that name and language on the conversation's business account. */
async function findApprovedTemplate(em: EntityManager, conversation: BotConversation, name: string, language: string) {
  const [row] = await sql<{ id: string; name: string; language: string; components: unknown[] | null }>(
    em,
    `select id, name, language, components from template
     where organization_id = ? and waba_id = ? and name = ? and language = ? and status = 'APPROVED' limit 1`,
    [conversation.organizationId, conversation.wabaId, name, language],
  );
  return row ?? null;
}

/** What a message must be, whole and case-insensitive, to start a flow by keyword; null when it cannot be one. */
export function keywordOf(text: string | null): string | null {
  const keyword = text?.trim().toLowerCase();
  return keyword && keyword.length <= 100 ? keyword : null;
}

/**
 * The published flow whose keyword is the whole message, given SQL expressions for the organization
 * id and the keyword (`keywordOf`, null when the message cannot be one). The inbound path reads it
 * with the upsert.
 */
export const keywordFlowSql = (organizationId: string, keyword: string) => `select id, published_version, false as archived from flow
  where organization_id = ${organizationId} and archived_at is null and ${keyword} is not null and published_keywords @> array[${keyword}] limit 1`;

const TYPE_OF_CONTENT: Record<string, MessageType> = { text: MessageType.TEXT, buttons: MessageType.INTERACTIVE, list: MessageType.INTERACTIVE };

/** Queues the engine's outputs through the send pipeline, in order. */
async function queueOutputs(em: EntityManager, conversation: BotConversation, flow: LoadedFlow, outputs: EngineOutput[], turn: BotTurn): Promise<void> {
  const to = conversation.contact.waId;
  const queue = async (draft: Omit<OutboundDraft, 'conversation'>) => {
    const queued = await insertOutbound(em, { ...draft, conversation: { id: conversation.id, organizationId: conversation.organizationId, channelId: conversation.channelId } });
    conversation.lastQueuedId = queued.messageId;
    turn.queued.push(queued);
  };
  for (const output of outputs) {
    const sentBy = { id: flow.id, version: flow.version, nodeId: output.nodeId };
    if (output.kind === 'http') {
      turn.http = { conversationId: conversation.id, nodeId: output.nodeId, request: output.request };
      continue;
    }
    if (output.kind === 'content') {
      const content = output.content;
      const type = content.kind === 'media' ? (content.mediaKind.toUpperCase() as MessageType) : TYPE_OF_CONTENT[content.kind]!;
      await queue({
        type,
        text: content.kind === 'media' ? (content.caption ?? null) : content.text,
        author: { kind: AuthorKind.BOT },
        flow: sentBy,
        request: (messageId) => buildContentRequest({ to, callbackData: messageId }, content),
      });
      continue;
    }
    const template = await findApprovedTemplate(em, conversation, output.name, output.language);
    if (!template) {
      turn.events.push(
        await appendEvent(em, conversation.organizationId, conversation.id, ConversationEventType.BOT, {
          type: 'error',
          nodeId: output.nodeId,
          message: `No APPROVED template ${output.name} (${output.language})`,
        }),
      );
      continue;
    }
    let components;
    try {
      components = buildTemplateComponents(templateParameterSpec(template.components ?? []), output.parameters);
    } catch (error) {
      // A parameter that renders blank or does not fit: the flow goes on; the error is on the record.
      turn.events.push(
        await appendEvent(em, conversation.organizationId, conversation.id, ConversationEventType.BOT, {
          type: 'error',
          nodeId: output.nodeId,
          message: `Template ${output.name}: ${(error as Error).message}`.slice(0, 500),
        }),
      );
      continue;
    }
    await queue({
      type: MessageType.TEMPLATE,
      text: template.name,
      author: { kind: AuthorKind.BOT },
      flow: sentBy,
      template,
      request: (messageId) => buildTemplateRequest({ to, callbackData: messageId }, { name: template.name, language: template.language, components }),
    });
  }
}

/** Stores a step's state, status, outputs and events; follows a jump to another flow. */
async function applyStep(em: EntityManager, conversation: BotConversation, flow: LoadedFlow, result: StepResult, turn: BotTurn, now: Date, jumps = 0) {
  const organizationId = conversation.organizationId;
  await queueOutputs(em, conversation, flow, result.outputs, turn);
  const logged = result.events.map((event) => ({ type: ConversationEventType.BOT, data: { ...event, flowId: flow.id, flowVersion: flow.version } }));
  turn.events.push(...(await appendEvents(em, organizationId, conversation.id, logged)));
  if (result.jumpToFlow && jumps < MAX_FLOW_JUMPS) {
    const target = await loadPublished(em, await findFlow(em, organizationId, result.jumpToFlow));
    if (target) {
      const next = startFlow({ id: target.id, version: target.version, definition: target.definition }, { now, contact: contactOf(conversation) });
      return applyStep(em, conversation, target, next, turn, now, jumps + 1);
    }
  }
  const state = result.state;
  conversation.botState = state as unknown as Record<string, unknown>;
  if (state.status === 'active') {
    conversation.status = ConversationStatus.BOT;
    conversation.botExpiresAt = new Date(now.getTime() + ttlMinutes(flow) * 60_000);
  } else {
    conversation.botExpiresAt = null;
    conversation.status = result.handoff || state.status === 'handed_off' ? ConversationStatus.WAITING_AGENT : ConversationStatus.CLOSED;
  }
}

/** Where a session was when it expired: analytics count it as abandoned at that node. */
const expiredEvent = (state: BotState | null) =>
  state ? { type: 'expired', flowId: state.flowId, flowVersion: state.flowVersion, nodeId: state.currentNodeId } : { type: 'expired' };

/** The bot moves a conversation between BOT, WAITING_AGENT and CLOSED: the log records each move like an agent's. */
async function statusChangeEvent(
  em: EntityManager,
  conversation: { id: string; organizationId: string; status: ConversationStatus },
  previous: ConversationStatus,
): Promise<EventDraft | null> {
  if (conversation.status === previous) return null;
  return appendEvent(em, conversation.organizationId, conversation.id, ConversationEventType.STATUS_CHANGED, {
    status: conversation.status,
    previous,
    by: 'bot',
  });
}

const contactOf = (conversation: BotConversation) => ({ name: conversation.contact.name, phone: conversation.contact.waId });

const activeState = (conversation: { botState?: Record<string, unknown> | null; botExpiresAt?: Date | null }, now: Date): BotState | null => {
  const state = conversation.botState as unknown as BotState | null;
  if (!state || state.status !== 'active') return null;
  if (conversation.botExpiresAt && conversation.botExpiresAt <= now) return null;
  return state;
};

/**
 * Runs the bot for one inbound message, inside the caller's transaction, changing `conversation`
 * in memory: the caller writes it back with its own changes of the row. The caller holds the
 * conversation's row lock (taken by the conversation upsert), so two messages of one customer are
 * processed one after the other, across worker processes. A conversation with an agent never
 * runs the bot.
 */
export async function runBotForInbound(
  em: EntityManager,
  conversation: BotConversation,
  input: InboundInput,
  /** `keywordFlow`: the flow the message's keyword starts (`keywordFlowSql`), read by the caller. */
  options: { fresh: boolean; now?: Date; keywordFlow: FlowRef | null },
): Promise<BotTurn> {
  const now = options.now ?? new Date();
  const turn = newTurn();
  if (conversation.status === ConversationStatus.WITH_AGENT) return turn;
  const stored = conversation.botState as unknown as BotState | null;
  // A person was asked for mid-session (handoffToAgent, or an agent unassigned): the session waits for returnToBot.
  if (conversation.status === ConversationStatus.WAITING_AGENT && !options.fresh && stored?.status === 'active') return turn;

  const previous = conversation.status;
  const state = activeState(conversation, now);
  if (state) {
    const flow = await loadVersion(em, state.flowId, state.flowVersion);
    if (flow) {
      await applyStep(em, conversation, flow, advanceFlow(flow, state, input, { now, contact: contactOf(conversation) }), turn, now);
      await noteStatusChange(em, conversation, previous, turn);
      return turn;
    }
  }
  // Only a running session expires: an ended or handed-off one is over (and a handoff waits for a person).
  const expired = stored?.status === 'active' && !state;
  if (expired) {
    turn.events.push(await appendEvent(em, conversation.organizationId, conversation.id, ConversationEventType.BOT, expiredEvent(stored)));
    conversation.botState = null;
    conversation.botExpiresAt = null;
  }
  // A keyword always starts its flow; the channel's default only for a conversation that is new or ended.
  const byKeyword = await loadPublished(em, options.keywordFlow);
  const flow = byKeyword ?? (options.fresh || expired || conversation.status === ConversationStatus.BOT ? await loadPublished(em, conversation.defaultFlow) : null);
  if (flow) await applyStep(em, conversation, flow, startFlow(flow, { now, contact: contactOf(conversation) }, input), turn, now);
  await noteStatusChange(em, conversation, previous, turn);
  return turn;
}

async function noteStatusChange(em: EntityManager, conversation: BotConversation, previous: ConversationStatus, turn: BotTurn): Promise<void> {
  const changed = await statusChangeEvent(em, conversation, previous);
  if (changed) turn.events.push(changed);
}

/** Writes a bot turn back when nothing else of the conversation changes with it. */
async function saveBotConversation(em: EntityManager, conversation: BotConversation): Promise<void> {
  await sql(
    em,
    `update conversation set status = ?::conversation_status, bot_state = ?::jsonb, bot_expires_at = ?,
       last_message_id = coalesce(?::uuid, last_message_id), last_message_at = case when ?::uuid is null then last_message_at else now() end,
       updated_at = now()
     where id = ?`,
    [conversation.status, jsonb(conversation.botState), conversation.botExpiresAt, conversation.lastQueuedId, conversation.lastQueuedId, conversation.id],
  );
}

export interface BotConversationRow {
  id: string;
  organization_id: string;
  channel_id: string;
  waba_id: string;
  contact_name: string | null;
  wa_id: string;
  status: ConversationStatus;
  bot_state: Record<string, unknown> | null;
  bot_expires_at: Date | string | null;
  default_flow_id: string | null;
  default_flow_version: number | null;
  default_flow_archived: boolean | null;
}

/** The columns a `BotConversationRow` reads, for a statement joining conversation `cv`, contact `ct`, channel `ch` and the default flow `df`. */
export const BOT_CONVERSATION_COLUMNS = `cv.id, cv.organization_id, cv.channel_id, ch.waba_id, ct.name as contact_name, ct.wa_id, cv.status, cv.bot_state,
  cv.bot_expires_at, df.id as default_flow_id, df.published_version as default_flow_version, df.archived_at is not null as default_flow_archived`;

export function botConversationOf(row: BotConversationRow): BotConversation {
  return {
    id: row.id,
    organizationId: row.organization_id,
    channelId: row.channel_id,
    wabaId: row.waba_id,
    contact: { name: row.contact_name, waId: row.wa_id },
    defaultFlow: row.default_flow_id ? { id: row.default_flow_id, publishedVersion: row.default_flow_version, archived: Boolean(row.default_flow_archived) } : null,
    status: row.status,
    botState: row.bot_state,
    botExpiresAt: row.bot_expires_at ? new Date(row.bot_expires_at) : null,
    lastQueuedId: null,
  };
}

/** A conversation as the bot sees it, its row locked until the commit. */
async function lockBotConversation(em: EntityManager, conversationId: string): Promise<BotConversation | null> {
  const [row] = await sql<BotConversationRow>(
    em,
    `select ${BOT_CONVERSATION_COLUMNS}
     from conversation cv join contact ct on ct.id = cv.contact_id join channel ch on ch.id = cv.channel_id
       left join flow df on df.id = ch.default_flow_id
     where cv.id = ? for update of cv`,
    [conversationId],
  );
  return row ? botConversationOf(row) : null;
}

/**
 * `returnToBot`: resumes an active session where it waits, or starts the channel's default flow
 * (or the conversation's last flow) afresh. Changes the caller's entity, which the caller flushes.
 */
export async function restartBot(em: EntityManager, entity: Conversation, now = new Date()): Promise<BotTurn> {
  const conversation = await lockBotConversation(em, entity.id);
  if (!conversation) throw new Error(`Conversation ${entity.id} is gone`);
  conversation.status = entity.status;
  conversation.botState = entity.botState ?? null;
  conversation.botExpiresAt = entity.botExpiresAt ?? null;
  const turn = await startBot(em, conversation, now);
  entity.status = conversation.status;
  entity.botState = conversation.botState;
  entity.botExpiresAt = conversation.botExpiresAt;
  if (conversation.lastQueuedId) {
    entity.lastMessageId = conversation.lastQueuedId;
    entity.lastMessageAt = now;
  }
  return turn;
}

async function startBot(em: EntityManager, conversation: BotConversation, now: Date): Promise<BotTurn> {
  const turn = newTurn();
  if (activeState(conversation, now)) {
    conversation.status = ConversationStatus.BOT;
    return turn;
  }
  const previous = conversation.botState as unknown as BotState | null;
  const flow =
    (await loadPublished(em, conversation.defaultFlow)) ??
    (previous ? await loadPublished(em, await findFlow(em, conversation.organizationId, previous.flowId)) : null);
  if (!flow) {
    conversation.status = ConversationStatus.BOT;
    return turn;
  }
  await applyStep(em, conversation, flow, startFlow(flow, { now, contact: contactOf(conversation) }), turn, now);
  return turn;
}

/** The answer of an HTTP node's request (or its failure) continues the flow where it waits. */
export async function resumeBotAfterHttp(
  em: EntityManager,
  conversationId: string,
  nodeId: string,
  outcome: { ok: true; status: number; body: unknown } | { ok: false; error: string },
  now = new Date(),
): Promise<BotTurn> {
  const turn = newTurn();
  const conversation = await lockBotConversation(em, conversationId);
  if (!conversation) return turn;
  const state = activeState(conversation, now);
  // Only a bot still in charge continues: an agent may have taken over while the request ran.
  if (!state || state.currentNodeId !== nodeId || conversation.status !== ConversationStatus.BOT) return turn;
  const flow = await loadVersion(em, state.flowId, state.flowVersion);
  if (!flow) return turn;
  const previous = conversation.status;
  await applyStep(em, conversation, flow, resumeAfterHttp(flow, state, outcome, { now, contact: contactOf(conversation) }), turn, now);
  await noteStatusChange(em, conversation, previous, turn);
  await saveBotConversation(em, conversation);
  return turn;
}

/** The cleanup job: sessions idle past their TTL end; the conversation closes as abandoned. */
export async function expireBotSessions(em: EntityManager, now = new Date()): Promise<EventDraft[]> {
  const expired = await em.find(Conversation, { botExpiresAt: { $lte: now } }, { limit: 1000 });
  const events: EventDraft[] = [];
  for (const conversation of expired) {
    const previous = conversation.status;
    events.push(await appendEvent(em, conversation.organization.id, conversation.id, ConversationEventType.BOT, expiredEvent(conversation.botState as unknown as BotState | null)));
    conversation.botExpiresAt = null;
    conversation.botState = conversation.botState ? { ...conversation.botState, status: 'ended' } : null;
    if (conversation.status === ConversationStatus.BOT) conversation.status = ConversationStatus.CLOSED;
    const changed = await statusChangeEvent(em, { id: conversation.id, organizationId: conversation.organization.id, status: conversation.status }, previous);
    if (changed) events.push(changed);
  }
  await em.flush();
  return events;
}

