import { buildContentRequest } from '../../src/meta/send-request.builder';
import type { ConversationRows, Sent } from './conversation-rows';
import { AGENT_TEMPLATE } from './flows';
import { AGENT_LINES, CUSTOMER_LINES } from './history-model';
import type { OutboundMessage } from './history-sink';
import type { Random } from './random';
import { HOUR, MINUTE, SECOND, type SimConversation } from './sim-conversation';

/** Business hours of the agents, local time: Monday to Friday 9-18, Saturday 9-13. */
function inBusinessHours(localMs: number): boolean {
  const date = new Date(localMs);
  const day = date.getUTCDay();
  const hour = date.getUTCHours();
  if (day === 0) return false;
  if (day === 6) return hour >= 9 && hour < 13;
  return hour >= 9 && hour < 18;
}

/** The next opening of business hours at or after a local time. */
function nextOpening(localMs: number): number {
  let at = Math.floor(localMs / HOUR) * HOUR;
  for (let i = 0; i < 24 * 8; i++, at += HOUR) if (at >= localMs - HOUR && inBusinessHours(at)) return Math.max(at, localMs);
  return localMs;
}

function agentMessage(rows: ConversationRows, rng: Random, conversation: SimConversation, userId: string, at: number, fromAd: boolean): Sent {
  const id = rng.uuid();
  const text = rng.pick(AGENT_LINES);
  const message: OutboundMessage = {
    organizationId: conversation.org.id, conversationId: conversation.id, channelId: conversation.channel.id, id, createdAt: at, type: 'TEXT', text,
    payload: JSON.stringify(buildContentRequest({ to: conversation.waId, callbackData: id }, { kind: 'text', text })),
    author: 'AGENT', userId, pricingCategory: fromAd ? 'referral_conversion' : 'service',
  };
  return { message, delivery: rows.deliver('service', at, 0) };
}

/**
 * A handed-off conversation: an agent takes it (quickly in business hours, else mostly the next
 * morning; the customer may nudge meanwhile), answers, goes back and forth a few times, maybe
 * transfers it, and closes it; now and then a follow-up template the next day.
 */
export function agentEpisode(rows: ConversationRows, rng: Random, conversation: SimConversation, handoffAt: number, fromAd: boolean): void {
  const org = conversation.org;
  const offset = org.utcOffsetHours * HOUR;
  const local = handoffAt + offset;
  let pickup: number;
  if (inBusinessHours(local)) pickup = handoffAt + rng.logNormal(100 * SECOND, 12 * MINUTE);
  else if (rng.chance(0.25)) pickup = handoffAt + rng.logNormal(20 * MINUTE, 2 * HOUR);
  else pickup = nextOpening(local) - offset + rng.logNormal(6 * MINUTE, 45 * MINUTE);

  if (pickup - handoffAt > 4 * MINUTE && rng.chance(0.35)) {
    const metaAt = handoffAt + Math.min(pickup - handoffAt - MINUTE, rng.logNormal(3 * MINUTE, 20 * MINUTE));
    rows.inbound(conversation, metaAt, metaAt + rng.int(300, 1500), { kind: 'text', text: 'hello? anyone there?' }, 'TEXT');
  }
  const agent = org.agents[rng.weighted(org.agents.map((_, i) => 1 + (i % 3)))]!;
  if (rng.chance(0.04)) {
    // The customer gave up; the agent closes the stale conversation without a word.
    rows.event(conversation, 'STATUS_CHANGED', { status: 'CLOSED', previous: conversation.status, by: agent }, pickup);
    rows.setStatus(conversation, 'CLOSED', pickup);
    conversation.busyUntil = Math.max(conversation.busyUntil, pickup);
    return;
  }
  let owner = agent;
  rows.event(conversation, 'ASSIGNED', { userId: owner, status: 'WITH_AGENT', previous: conversation.status, by: owner }, pickup);
  rows.setStatus(conversation, 'WITH_AGENT', pickup, owner);
  let at = pickup + rng.logNormal(35 * SECOND, 4 * MINUTE);
  const rounds = 1 + Math.min(8, Math.floor(rng.pareto(1, 1.6)));
  let last = at;
  for (let round = 0; round < rounds; round++) {
    if (round > 0 && rng.chance(0.04)) {
      const other = rng.pick(org.agents);
      if (other !== owner) {
        rows.event(conversation, 'ASSIGNED', { userId: other, status: 'WITH_AGENT', previous: 'WITH_AGENT', by: owner }, at);
        owner = other;
        rows.setStatus(conversation, 'WITH_AGENT', at, owner);
        at += rng.logNormal(2 * MINUTE, 20 * MINUTE);
      }
    }
    const sent = agentMessage(rows, rng, conversation, owner, at, fromAd);
    last = at;
    const answers = round < rounds - 1 && sent.delivery.deliveredAt !== null && !rng.chance(0.12);
    if (!answers) {
      rows.readAfter(conversation, sent, 0.8, 40 * SECOND, 30 * MINUTE);
      rows.send(conversation, sent);
      break;
    }
    const metaAt = sent.delivery.deliveredAt! + rng.logNormal(50 * SECOND, 12 * MINUTE);
    rows.readBeforeReply(conversation, sent, metaAt);
    rows.send(conversation, sent);
    const received = metaAt + rng.int(300, 1500);
    rows.inbound(conversation, metaAt, received, { kind: 'text', text: rng.pick(CUSTOMER_LINES) }, 'TEXT');
    last = received;
    at = received + (inBusinessHours(received + offset) ? rng.logNormal(45 * SECOND, 6 * MINUTE) : rng.logNormal(6 * MINUTE, 3 * HOUR));
  }
  const closedAt = last + rng.logNormal(4 * MINUTE, 90 * MINUTE);
  rows.event(conversation, 'STATUS_CHANGED', { status: 'CLOSED', previous: 'WITH_AGENT', by: owner }, closedAt);
  rows.setStatus(conversation, 'CLOSED', closedAt);
  conversation.busyUntil = Math.max(conversation.busyUntil, closedAt);
  if (rng.chance(0.03)) {
    const followUpAt = closedAt + rng.logNormal(20 * HOUR, 30 * HOUR);
    const sent = rows.templateMessage(conversation, org.templates.get(AGENT_TEMPLATE)!, followUpAt, 'AGENT', null, 0, owner);
    rows.readAfter(conversation, sent, 0.7, 10 * MINUTE, 5 * HOUR);
    rows.send(conversation, sent);
    conversation.busyUntil = Math.max(conversation.busyUntil, followUpAt);
  }
}
