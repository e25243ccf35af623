import { agentEpisode } from './agent-episode';
import { BotSessions, type SessionEnd } from './bot-session';
import { ConversationRows } from './conversation-rows';
import { AUTH_TEMPLATE } from './flows';
import { CUSTOMER_LINES, type FlowModel } from './history-model';
import type { HistorySink } from './history-sink';
import type { Random } from './random';
import { MINUTE, SECOND, type PlannedVisit, type SimConversation } from './sim-conversation';

/**
 * Simulates what customers, the bot and agents do in one visit of a conversation, writing the rows
 * the runtime would have written: a customer who writes first (a bot session, maybe an agent), a
 * campaign template (some answer MENU), or a login code.
 */
export class ConversationSimulator {
  private readonly rows: ConversationRows;
  private readonly bot: BotSessions;

  constructor(
    private readonly rng: Random,
    sink: HistorySink,
    now: number,
  ) {
    this.rows = new ConversationRows(rng, sink, now);
    this.bot = new BotSessions(this.rows, rng, now);
  }

  visit(conversation: SimConversation, visit: PlannedVisit, start: number): void {
    if (visit.kind === 'inbound') this.inboundVisit(conversation, start, null);
    else if (visit.kind === 'campaign') this.templateVisit(conversation, start, visit.template, 0.1);
    else this.templateVisit(conversation, start, AUTH_TEMPLATE, 0);
  }

  /** The customer writes first: the channel's default flow or a keyword's flow starts; then maybe an agent. */
  private inboundVisit(conversation: SimConversation, metaAt: number, forced: { text: string; flow: FlowModel } | null): void {
    const { org } = conversation;
    const rng = this.rng;
    const at = metaAt + rng.int(300, 1500);
    if (conversation.openedAt === null) {
      conversation.openedAt = at;
      this.rows.event(conversation, 'CONVERSATION_OPENED', { channelId: conversation.channel.id, contactId: conversation.contactId }, at);
    }
    // Click-to-WhatsApp ads: Meta prices the conversation as referral_conversion.
    const fromAd = rng.chance(0.05);
    let flow: FlowModel;
    let text: string;
    if (forced) {
      ({ flow, text } = forced);
    } else if (rng.chance(0.45)) {
      flow = org.flows[conversation.channel.defaultFlow]!;
      text = rng.chance(0.5) ? rng.pick(['hi', 'Hello', 'Hi!', 'good morning']) : rng.pick(CUSTOMER_LINES);
    } else {
      flow = org.flows[rng.weighted(org.flows.map((candidate) => candidate.weight))]!;
      text = rng.chance(0.7) ? flow.keyword : flow.keyword.toUpperCase();
    }
    // Inbound processing reopens a closed conversation (WAITING_AGENT, no event); the bot then takes it.
    this.rows.setStatus(conversation, conversation.status === 'CLOSED' ? 'WAITING_AGENT' : conversation.status, at);
    this.rows.inbound(conversation, metaAt, at, { kind: 'text', text }, 'TEXT');
    this.afterSession(conversation, this.bot.run(conversation, flow, { kind: 'text', text }, at, { fromAd, reluctant: false }), fromAd);
  }

  private afterSession(conversation: SimConversation, end: SessionEnd, fromAd: boolean): void {
    if (end.outcome === 'handoff') {
      agentEpisode(this.rows, this.rng, conversation, end.at, fromAd);
    } else if (end.outcome === 'ended' && this.rng.chance(0.08)) {
      // "thanks!" after the goodbye: a closed conversation, so the default flow starts again, mostly ignored.
      const metaAt = end.at + this.rng.logNormal(40 * SECOND, 5 * MINUTE);
      const at = metaAt + this.rng.int(300, 1500);
      this.rows.setStatus(conversation, 'WAITING_AGENT', at);
      const text = this.rng.pick(['thanks!', 'ok thank you', '👍', 'great']);
      this.rows.inbound(conversation, metaAt, at, { kind: 'text', text }, 'TEXT');
      const again = this.bot.run(conversation, conversation.org.flows[conversation.channel.defaultFlow]!, { kind: 'text', text }, at, { fromAd, reluctant: true });
      if (again.outcome === 'handoff') agentEpisode(this.rows, this.rng, conversation, again.at, fromAd);
    }
  }

  /** A template sent by the API: a campaign (some answer MENU, which starts the main menu) or a login code. */
  private templateVisit(conversation: SimConversation, at: number, templateName: string, replyChance: number): void {
    const sent = this.rows.templateMessage(conversation, conversation.org.templates.get(templateName)!, at, 'API', null);
    conversation.busyUntil = Math.max(conversation.busyUntil, at + MINUTE);
    if (sent.delivery.deliveredAt !== null && this.rng.chance(replyChance)) {
      const replyAt = sent.delivery.deliveredAt + this.rng.logNormal(6 * MINUTE, 4 * 60 * MINUTE);
      this.rows.readBeforeReply(conversation, sent, replyAt);
      this.rows.send(conversation, sent);
      this.inboundVisit(conversation, replyAt, { text: 'MENU', flow: conversation.org.flows[0]! });
      return;
    }
    if (replyChance > 0) this.rows.readAfter(conversation, sent, 0.6, 25 * MINUTE, 8 * 60 * MINUTE);
    else this.rows.readAfter(conversation, sent, 0.9, 15 * SECOND, 3 * MINUTE);
    this.rows.send(conversation, sent);
  }
}
