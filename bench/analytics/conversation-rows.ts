import type { InboundInput } from '../../src/domain/flow/flow-engine';
import { buildTemplateRequest } from '../../src/meta/send-request.builder';
import { FAILURE_MIX, type MetaError, type TemplateModel } from './history-model';
import type { Delivery, HistorySink, OutboundMessage } from './history-sink';
import type { Random } from './random';
import { HOUR, MINUTE, SECOND, type ConversationStatusName, type SimConversation } from './sim-conversation';

/** A row of a turn, held until the customer's reaction decides when its messages were read. */
export interface Emission {
  out?: { message: OutboundMessage; delivery: Delivery; nodeId: string | null };
  event?: { type: string; data: Record<string, unknown> };
}

export type Sent = { message: OutboundMessage; delivery: Delivery };

/**
 * Writing one conversation's rows as the runtime does: messages with their send outcome,
 * events, and the conversation's state as of `now` (rows after it are dropped by the sink).
 */
export class ConversationRows {
  private wamids = 0;

  constructor(
    protected readonly rng: Random,
    protected readonly sink: HistorySink,
    protected readonly now: number,
  ) {}

  /** Send outcome: accepted (SENT) within a second, delivered in seconds (or hours: phone off), or failed. */
  deliver(kind: keyof typeof FAILURE_MIX, queuedAt: number, index: number): Delivery {
    const mix = FAILURE_MIX[kind];
    const wamid = `wamid.HBgM${(++this.wamids).toString(36)}${this.rng.hex(10)}`;
    const sentAt = queuedAt + 250 + index * 120 + this.rng.int(0, 900);
    if (this.rng.chance(mix.rate)) {
      const error: MetaError = mix.errors[this.rng.weighted(mix.errors.map(([, weight]) => weight))]![0];
      if (this.rng.chance(0.15)) return { sentAt: null, deliveredAt: null, readAt: null, failed: { at: sentAt, error, atApi: true }, wamid: null };
      return { sentAt, deliveredAt: null, readAt: null, failed: { at: sentAt + this.rng.int(800, 8000), error, atApi: false }, wamid };
    }
    if (this.rng.chance(0.006)) return { sentAt, deliveredAt: null, readAt: null, failed: null, wamid };
    const offline = this.rng.chance(0.04);
    const deliveredAt = sentAt + (offline ? this.rng.logNormal(50 * MINUTE, 10 * HOUR) : this.rng.logNormal(1200, 8000));
    return { sentAt, deliveredAt, readAt: null, failed: null, wamid };
  }

  templateMessage(conversation: SimConversation, template: TemplateModel, at: number, author: OutboundMessage['author'], flow: OutboundMessage['flow'], index = 0, userId: string | null = null): Sent {
    const id = this.rng.uuid();
    const category = template.category.toLowerCase() as 'marketing' | 'utility' | 'authentication';
    const message: OutboundMessage = {
      organizationId: conversation.org.id, conversationId: conversation.id, channelId: conversation.channel.id, id, createdAt: at, type: 'TEMPLATE',
      text: template.name,
      payload: JSON.stringify(buildTemplateRequest({ to: conversation.waId, callbackData: id }, { name: template.name, language: template.language, components: [] })),
      author, userId, templateId: template.id, flow, pricingCategory: category,
    };
    return { message, delivery: this.deliver(category, at, index) };
  }

  /** Read `lag` after delivery, with probability `chance` (and only if the customer sends receipts). */
  readAfter(conversation: SimConversation, sent: Sent, chance: number, median: number, p90: number): void {
    if (sent.delivery.deliveredAt !== null && conversation.readReceipts && this.rng.chance(chance)) {
      sent.delivery.readAt = sent.delivery.deliveredAt + this.rng.logNormal(median, p90);
    }
  }

  /** Read just before the customer's message at `replyAt` (never before delivery). */
  readBeforeReply(conversation: SimConversation, sent: Sent, replyAt: number): void {
    const delivered = sent.delivery.deliveredAt;
    if (conversation.readReceipts && delivered !== null && !sent.delivery.failed) {
      sent.delivery.readAt = Math.max(delivered + 300, replyAt - this.rng.int(2, 30) * SECOND);
    }
  }

  /** Outbound messages of a turn that arrived before the customer answered are read just before. */
  readTurnBefore(conversation: SimConversation, emissions: Emission[], replyAt: number): void {
    for (const { out } of emissions) {
      if (out && out.delivery.deliveredAt !== null && out.delivery.deliveredAt < replyAt - 1000) this.readBeforeReply(conversation, out, replyAt);
    }
  }

  /** A turn left unanswered: maybe read a while later, all at once. */
  readTurnLater(conversation: SimConversation, emissions: Emission[], chance: number): void {
    if (!conversation.readReceipts || !this.rng.chance(chance)) return;
    const lag = this.rng.logNormal(20 * SECOND, 2 * HOUR);
    for (const { out } of emissions) {
      const delivered = out?.delivery.deliveredAt;
      if (out && delivered != null && !out.delivery.failed) out.delivery.readAt = delivered + lag;
    }
  }

  /** The turn's rows, in the runtime's order, at the turn's time. */
  commit(conversation: SimConversation, emissions: Emission[], at: number): void {
    for (const emission of emissions) {
      if (emission.out) this.send(conversation, emission.out);
      else if (emission.event) this.event(conversation, emission.event.type, emission.event.data, at);
    }
  }

  send(conversation: SimConversation, sent: Sent): void {
    const { message } = sent;
    this.sink.outbound(message, sent.delivery);
    conversation.busyUntil = Math.max(conversation.busyUntil, message.createdAt);
    if (message.createdAt > this.now) return;
    conversation.rows += 1;
    if ((conversation.final.lastMessageAt ?? 0) <= message.createdAt) {
      conversation.final.lastMessageAt = message.createdAt;
      conversation.final.lastMessageId = message.id;
    }
  }

  /** A customer's message (Meta's time `metaAt`), stored when the webhook was processed (`at`). */
  inbound(conversation: SimConversation, metaAt: number, at: number, input: InboundInput, type: string): void {
    const id = this.rng.uuid();
    const wamid = `wamid.HBgL${(++this.wamids).toString(36)}${this.rng.hex(10)}`;
    const text = input.kind === 'text' ? input.text : input.kind === 'reply' ? input.title : null;
    const body: Record<string, unknown> = { from: conversation.waId, id: wamid, timestamp: String(Math.floor(metaAt / 1000)) };
    if (input.kind === 'reply') Object.assign(body, { type: 'interactive', interactive: { type: 'button_reply', button_reply: { id: input.id, title: input.title } } });
    else if (input.kind === 'text') Object.assign(body, { type: 'text', text: { body: text } });
    else {
      const kind = type.toLowerCase();
      Object.assign(body, { type: kind, [kind]: { id: String(this.rng.int(1e14, 9e14)), mime_type: type === 'IMAGE' ? 'image/jpeg' : type === 'AUDIO' ? 'audio/ogg' : 'image/webp' } });
    }
    const written = this.sink.inbound({
      organizationId: conversation.org.id, conversationId: conversation.id, channelId: conversation.channel.id, id, createdAt: at, type, text,
      payload: JSON.stringify(body), wamid, metaAt,
    });
    conversation.busyUntil = Math.max(conversation.busyUntil, at);
    if (!written) return;
    conversation.rows += 1;
    const final = conversation.final;
    final.firstSeenAt ??= metaAt;
    final.lastInboundAt = Math.max(final.lastInboundAt ?? 0, metaAt);
    final.lastSeenAt = final.lastInboundAt;
    final.lastMessageAt = at;
    final.lastMessageId = id;
  }

  event(conversation: SimConversation, type: string, data: Record<string, unknown>, at: number): void {
    if (at <= this.now) conversation.rows += 1;
    this.sink.event(conversation.org.id, conversation.id, type, data, at);
  }

  setStatus(conversation: SimConversation, status: ConversationStatusName, at: number, assignedTo?: string): void {
    conversation.status = status;
    if (assignedTo !== undefined) conversation.assignedTo = assignedTo;
    if (at <= this.now) {
      conversation.final.status = status;
      conversation.final.assignedTo = conversation.assignedTo;
    }
  }
}
