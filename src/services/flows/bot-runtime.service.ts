import { ConversationEventType } from '../../entities/conversation-event.entity';
import { Conversation, ConversationStatus } from '../../entities/conversation.entity';
import { FlowVersion } from '../../entities/flow-version.entity';
import { Flow } from '../../entities/flow.entity';
import { AuthorKind, MessageType } from '../../entities/message.entity';
import { Template } from '../../entities/template.entity';
import type { EntityManager } from '../../db/entity-manager';
import { advanceFlow, resumeAfterHttp, startFlow, type BotState, type EngineOutput, type InboundInput, type StepResult } from '../../domain/flow/flow-engine';
import type { FlowDefinition } from '../../domain/flow/flow-validation';
import { buildTemplateComponents, templateParameterSpec } from '../../domain/template-rules';
import { buildContentRequest, buildTemplateRequest } from '../../meta/send-request.builder';
import { appendEvent, appendEvents, type EventDraft } from '../inbound/conversation-log';
import { queueOutbound, type Queued } from '../outbound/queue-outbound.service';
import { sql } from '../../db/sql';

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
  const found = await em.findOne(FlowVersion, { flow: flowId, version });
  if (!found) return null;
  const loaded = { id: flowId, version, definition: found.definition as unknown as FlowDefinition };
  versionCache.set(key, loaded);
  if (versionCache.size > VERSION_CACHE_SIZE) versionCache.delete(versionCache.keys().next().value!);
  return loaded;
}

async function loadPublished(em: EntityManager, flow: Flow | null | undefined): Promise<LoadedFlow | null> {
  if (!flow || flow.archivedAt || !flow.publishedVersion) return null;
  return loadVersion(em, flow.id, flow.publishedVersion);
}

/** A published flow whose keyword is the whole message (case-insensitive). Plain SQL: every inbound message asks. */
async function flowForKeyword(em: EntityManager, organizationId: string, text: string | null): Promise<LoadedFlow | null> {
  const keyword = text?.trim().toLowerCase();
  if (!keyword || keyword.length > 100) return null;
  const [flow] = await sql<{ id: string; published_version: number | null }>(
    em,
    `select id, published_version from flow
     where organization_id = ? and archived_at is null and published_keywords @> array[?]::text[] limit 1`,
    [organizationId, keyword],
  );
  return flow?.published_version ? loadVersion(em, flow.id, flow.published_version) : null;
}

const TYPE_OF_CONTENT: Record<string, MessageType> = { text: MessageType.TEXT, buttons: MessageType.INTERACTIVE, list: MessageType.INTERACTIVE };

/** Queues the engine's outputs through the send pipeline, in order. */
async function queueOutputs(em: EntityManager, conversation: Conversation, flow: LoadedFlow, outputs: EngineOutput[], turn: BotTurn): Promise<void> {
  const to = conversation.contact.waId;
  for (const output of outputs) {
    const sentBy = { id: flow.id, version: flow.version, nodeId: output.nodeId };
    if (output.kind === 'http') {
      turn.http = { conversationId: conversation.id, nodeId: output.nodeId, request: output.request };
      continue;
    }
    if (output.kind === 'content') {
      const content = output.content;
      const type = content.kind === 'media' ? (content.mediaKind.toUpperCase() as MessageType) : TYPE_OF_CONTENT[content.kind]!;
      turn.queued.push(
        await queueOutbound(em, {
          conversation,
          type,
          text: content.kind === 'media' ? (content.caption ?? null) : content.text,
          author: { kind: AuthorKind.BOT },
          flow: sentBy,
          request: (messageId) => buildContentRequest({ to, callbackData: messageId }, content),
        }),
      );
      continue;
    }
    const template = await em.findOne(Template, {
      organization: conversation.organization,
      wabaId: conversation.channel.wabaId,
      name: output.name,
      language: output.language,
      status: 'APPROVED',
    });
    if (!template) {
      turn.events.push(
        await appendEvent(em, conversation.organization.id, conversation.id, ConversationEventType.BOT, {
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
        await appendEvent(em, conversation.organization.id, conversation.id, ConversationEventType.BOT, {
          type: 'error',
          nodeId: output.nodeId,
          message: `Template ${output.name}: ${(error as Error).message}`.slice(0, 500),
        }),
      );
      continue;
    }
    turn.queued.push(
      await queueOutbound(em, {
        conversation,
        type: MessageType.TEMPLATE,
        text: template.name,
        author: { kind: AuthorKind.BOT },
        flow: sentBy,
        template,
        request: (messageId) => buildTemplateRequest({ to, callbackData: messageId }, { name: template.name, language: template.language, components }),
      }),
    );
  }
}

/** Stores a step's state, status, outputs and events; follows a jump to another flow. */
async function applyStep(em: EntityManager, conversation: Conversation, flow: LoadedFlow, result: StepResult, turn: BotTurn, now: Date, jumps = 0) {
  const organizationId = conversation.organization.id;
  await queueOutputs(em, conversation, flow, result.outputs, turn);
  const logged = result.events.map((event) => ({ type: ConversationEventType.BOT, data: { ...event, flowId: flow.id, flowVersion: flow.version } }));
  turn.events.push(...(await appendEvents(em, organizationId, conversation.id, logged)));
  if (result.jumpToFlow && jumps < MAX_FLOW_JUMPS) {
    const target = await loadPublished(em, await em.findOne(Flow, { id: result.jumpToFlow, organization: organizationId }));
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
async function statusChangeEvent(em: EntityManager, conversation: Conversation, previous: ConversationStatus): Promise<EventDraft | null> {
  if (conversation.status === previous) return null;
  return appendEvent(em, conversation.organization.id, conversation.id, ConversationEventType.STATUS_CHANGED, {
    status: conversation.status,
    previous,
    by: 'bot',
  });
}

const contactOf = (conversation: Conversation) => ({ name: conversation.contact.name ?? null, phone: conversation.contact.waId });

const activeState = (conversation: Conversation, now: Date): BotState | null => {
  const state = conversation.botState as unknown as BotState | null;
  if (!state || state.status !== 'active') return null;
  if (conversation.botExpiresAt && conversation.botExpiresAt <= now) return null;
  return state;
};

/**
 * Runs the bot for one inbound message, inside the caller's transaction. The caller holds the
 * conversation's row lock (taken by the conversation upsert), so two messages of one customer are
 * processed one after the other, across worker processes. A conversation with an agent never
 * runs the bot.
 */
export async function runBotForInbound(
  em: EntityManager,
  conversationId: string,
  input: InboundInput,
  text: string | null,
  options: { fresh: boolean; now?: Date },
): Promise<BotTurn> {
  const now = options.now ?? new Date();
  const turn: BotTurn = { queued: [], events: [], http: null };
  const conversation = await em.findOneOrFail(
    Conversation,
    { id: conversationId },
    { populate: ['contact', 'channel', 'channel.defaultFlow'], strategy: 'joined' },
  );
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
      await finishTurn(em, conversation, previous, turn);
      return turn;
    }
  }
  // Only a running session expires: an ended or handed-off one is over (and a handoff waits for a person).
  const expired = stored?.status === 'active' && !state;
  if (expired) {
    turn.events.push(await appendEvent(em, conversation.organization.id, conversation.id, ConversationEventType.BOT, expiredEvent(stored)));
    conversation.botState = null;
    conversation.botExpiresAt = null;
  }
  // A keyword always starts its flow; the channel's default only for a conversation that is new or ended.
  const byKeyword = await flowForKeyword(em, conversation.organization.id, text);
  const flow =
    byKeyword ?? (options.fresh || expired || conversation.status === ConversationStatus.BOT ? await loadPublished(em, conversation.channel.defaultFlow as Flow | null) : null);
  if (flow) await applyStep(em, conversation, flow, startFlow(flow, { now, contact: contactOf(conversation) }, input), turn, now);
  await finishTurn(em, conversation, previous, turn);
  return turn;
}

async function finishTurn(em: EntityManager, conversation: Conversation, previous: ConversationStatus, turn: BotTurn): Promise<void> {
  const changed = await statusChangeEvent(em, conversation, previous);
  if (changed) turn.events.push(changed);
  await em.flush();
}

/**
 * `returnToBot`: resumes an active session where it waits, or starts the channel's default flow
 * (or the conversation's last flow) afresh.
 */
export async function restartBot(em: EntityManager, conversation: Conversation, now = new Date()): Promise<BotTurn> {
  const turn: BotTurn = { queued: [], events: [], http: null };
  await em.populate(conversation, ['contact', 'channel', 'channel.defaultFlow']);
  if (activeState(conversation, now)) {
    conversation.status = ConversationStatus.BOT;
    return turn;
  }
  const previous = conversation.botState as unknown as BotState | null;
  const flow =
    (await loadPublished(em, conversation.channel.defaultFlow as Flow | null)) ??
    (previous ? await loadPublished(em, await em.findOne(Flow, { id: previous.flowId })) : null);
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
  const turn: BotTurn = { queued: [], events: [], http: null };
  await em.execute('select id from conversation where id = ? for update', [conversationId]);
  const conversation = await em.findOneOrFail(Conversation, { id: conversationId }, { populate: ['contact', 'channel'] });
  const state = activeState(conversation, now);
  // Only a bot still in charge continues: an agent may have taken over while the request ran.
  if (!state || state.currentNodeId !== nodeId || conversation.status !== ConversationStatus.BOT) return turn;
  const flow = await loadVersion(em, state.flowId, state.flowVersion);
  if (!flow) return turn;
  const previous = conversation.status;
  await applyStep(em, conversation, flow, resumeAfterHttp(flow, state, outcome, { now, contact: contactOf(conversation) }), turn, now);
  await finishTurn(em, conversation, previous, turn);
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
    const changed = await statusChangeEvent(em, conversation, previous);
    if (changed) events.push(changed);
  }
  await em.flush();
  return events;
}

