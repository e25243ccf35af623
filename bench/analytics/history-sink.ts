import { copyField as f, isoTime, type CopyWriter } from './copy-writer';
import type { MetaError } from './history-model';

export const MESSAGE_COLUMNS = [
  'id', 'created_at', 'updated_at', 'organization_id', 'conversation_id', 'channel_id', 'wamid', 'direction', 'type', 'text', 'payload',
  'status', 'sent_at_meta', 'sent_at', 'delivered_at', 'read_at', 'failed_at', 'error_code', 'error_title', 'error_details',
  'pricing_category', 'pricing_model', 'send_state', 'send_attempts', 'author_kind', 'author_user_id', 'template_id',
  'flow_id', 'flow_version', 'flow_node_id',
] as const;
export const EVENT_COLUMNS = ['organization_id', 'conversation_id', 'type', 'data', 'created_at', 'seq'] as const;

const iso = isoTime;
const N = '\\N';

export interface MessageBase {
  organizationId: string;
  conversationId: string;
  channelId: string;
  id: string;
  createdAt: number;
  type: string;
  text: string | null;
  payload: string;
}

export interface InboundMessage extends MessageBase {
  wamid: string;
  /** Meta's timestamp of the message (before our webhook processed it at createdAt). */
  metaAt: number;
}

export interface OutboundMessage extends MessageBase {
  author: 'BOT' | 'AGENT' | 'API';
  userId?: string | null;
  templateId?: string | null;
  flow?: { id: string; version: number; nodeId: string } | null;
  pricingCategory: string;
}

/** What happened to an outbound message after it was queued, as times (ms). */
export interface Delivery {
  sentAt: number | null;
  deliveredAt: number | null;
  readAt: number | null;
  failed: { at: number; error: MetaError; atApi: boolean } | null;
  wamid: string | null;
}

/** sent_at .. send_state of an inbound row (all NULL), send_attempts 0, author CUSTOMER, then NULL author, template and flow. */
const INBOUND_TAIL = ['\\N', '\\N', '\\N', '\\N', '\\N', '\\N', '\\N', '\\N', '\\N', '\\N', '0', 'CUSTOMER', '\\N', '\\N', '\\N', '\\N', '\\N'].join('\t');

interface Pending {
  t: number;
  n: number;
  line: string;
  table: 0 | 1;
}

export interface SinkCounts {
  messagesIn: number;
  messagesOut: number;
  events: number;
}

/**
 * Collects one history's rows and writes them in time order, as the runtime would have appended
 * them: event ids and seqs (given here, from `firstSeq`, as the EventSequencer would have) and
 * message seq then follow time, which is what the refresher's passes over the event log assume. Rows after `now` never happened yet and are dropped.
 * Visits are simulated in order of their start, so everything before the next visit's start is
 * final and can be flushed; only in-progress visits stay buffered.
 */
export class HistorySink {
  private readonly buckets = new Map<number, Pending[]>();
  private cursorMinute: number;
  private counter = 0;
  private nextSeq: number;
  readonly counts = new Map<string, SinkCounts>();
  readonly eventTypes = new Map<string, number>();

  constructor(
    private readonly now: number,
    start: number,
    private readonly messages: CopyWriter | null,
    private readonly events: CopyWriter | null,
    firstSeq = 1,
  ) {
    this.cursorMinute = Math.floor(start / 60_000) - 1;
    this.nextSeq = firstSeq;
  }

  private countsOf(organizationId: string): SinkCounts {
    let counts = this.counts.get(organizationId);
    if (!counts) this.counts.set(organizationId, (counts = { messagesIn: 0, messagesOut: 0, events: 0 }));
    return counts;
  }

  private push(t: number, table: 0 | 1, line: () => string): void {
    // Without writers (calibration runs) only the counts matter.
    if (t > this.now || !this.messages) return;
    const minute = Math.floor(t / 60_000);
    if (minute <= this.cursorMinute) throw new Error(`history row at ${iso(t)} arrived after its minute was written`);
    let bucket = this.buckets.get(minute);
    if (!bucket) this.buckets.set(minute, (bucket = []));
    bucket.push({ t, n: this.counter++, line: line(), table });
  }

  event(organizationId: string, conversationId: string, type: string, data: Record<string, unknown>, t: number): void {
    if (t > this.now) return;
    this.countsOf(organizationId).events += 1;
    const key = type === 'BOT' ? `BOT ${String(data.type)}` : type;
    this.eventTypes.set(key, (this.eventTypes.get(key) ?? 0) + 1);
    this.push(t, 1, () => `${organizationId}\t${conversationId}\t${type}\t${f(JSON.stringify(data))}\t${iso(t)}\n`);
  }

  /** The inbound row and its MESSAGE_RECEIVED event. */
  inbound(message: InboundMessage): boolean {
    if (message.createdAt > this.now) return false;
    this.countsOf(message.organizationId).messagesIn += 1;
    this.push(message.createdAt, 0, () => {
      const at = iso(message.createdAt);
      return (
        `${message.id}\t${at}\t${at}\t${message.organizationId}\t${message.conversationId}\t${message.channelId}\t${message.wamid}\tIN\t${message.type}\t` +
        `${f(message.text)}\t${f(message.payload)}\tRECEIVED\t${iso(message.metaAt)}\t${INBOUND_TAIL}\n`
      );
    });
    this.event(message.organizationId, message.conversationId, 'MESSAGE_RECEIVED', { messageId: message.id, wamid: message.wamid, type: message.type }, message.createdAt);
    return true;
  }

  /**
   * The outbound row as it stands at `now`, its MESSAGE_SENT event, and one MESSAGE_STATUS_CHANGED
   * per transition: SENT when Meta accepted the request (the worker), the later ones from status
   * webhooks (with Meta's time), or FAILED at the API (no wamid) or by webhook.
   */
  outbound(message: OutboundMessage, delivery: Delivery): boolean {
    if (message.createdAt > this.now) return false;
    const upTo = (at: number | null) => (at !== null && at <= this.now ? at : null);
    const sentAt = upTo(delivery.sentAt);
    const deliveredAt = upTo(delivery.deliveredAt);
    const readAt = upTo(delivery.readAt);
    const failed = delivery.failed && delivery.failed.at <= this.now ? delivery.failed : null;
    const status = failed ? 'FAILED' : readAt ? 'READ' : deliveredAt ? 'DELIVERED' : sentAt ? 'SENT' : 'QUEUED';
    const wamid = sentAt ? delivery.wamid : null;
    const priced = !failed && sentAt !== null;
    const updatedAt = Math.max(message.createdAt, sentAt ?? 0, deliveredAt ?? 0, readAt ?? 0, failed?.at ?? 0);
    const { organizationId: org, conversationId: conversation } = message;
    this.countsOf(org).messagesOut += 1;
    this.push(message.createdAt, 0, () =>
      [
        message.id, iso(message.createdAt), iso(updatedAt), org, conversation, message.channelId, wamid ?? N, 'OUT', message.type,
        f(message.text), f(message.payload), status, N, iso(sentAt) ?? N, iso(deliveredAt) ?? N, iso(readAt) ?? N, iso(failed?.at) ?? N,
        failed ? failed.error.code : N, failed ? f(failed.error.title) : N, failed ? f(failed.error.details) : N,
        priced ? message.pricingCategory : N, priced ? 'PMP' : N, status === 'QUEUED' ? 'PENDING' : 'DONE', status === 'QUEUED' ? '0' : '1',
        message.author, message.userId ?? N, message.templateId ?? N, message.flow?.id ?? N, message.flow ? String(message.flow.version) : N, f(message.flow?.nodeId),
      ].join('\t') + '\n',
    );
    this.event(org, conversation, 'MESSAGE_SENT', { messageId: message.id, type: message.type, author: message.author, ...(message.userId ? { userId: message.userId } : {}) }, message.createdAt);
    if (sentAt !== null) this.event(org, conversation, 'MESSAGE_STATUS_CHANGED', { messageId: message.id, status: 'SENT', wamid }, sentAt);
    if (failed) {
      const data = failed.atApi
        ? { messageId: message.id, status: 'FAILED', errorCode: failed.error.code }
        : { messageId: message.id, reported: 'FAILED', status: 'FAILED', at: iso(failed.at), errorCode: failed.error.code };
      this.event(org, conversation, 'MESSAGE_STATUS_CHANGED', data, failed.at);
      return true;
    }
    if (deliveredAt !== null) this.event(org, conversation, 'MESSAGE_STATUS_CHANGED', { messageId: message.id, reported: 'DELIVERED', status: 'DELIVERED', at: iso(deliveredAt) }, deliveredAt);
    if (readAt !== null) this.event(org, conversation, 'MESSAGE_STATUS_CHANGED', { messageId: message.id, reported: 'READ', status: 'READ', at: iso(readAt) }, readAt);
    return true;
  }

  /** Writes every row before `t` (whole minutes), in time order. */
  async flushBefore(t: number): Promise<void> {
    const last = Math.min(Math.floor(t / 60_000), Math.floor(this.now / 60_000) + 1) - 1;
    for (let minute = this.cursorMinute + 1; minute <= last; minute++) {
      const bucket = this.buckets.get(minute);
      if (!bucket) continue;
      this.buckets.delete(minute);
      bucket.sort((a, b) => a.t - b.t || a.n - b.n);
      for (const row of bucket) {
        if (row.table === 0) this.messages?.write(row.line);
        else this.events?.write(`${row.line.slice(0, -1)}\t${this.nextSeq++}\n`);
      }
    }
    this.cursorMinute = Math.max(this.cursorMinute, last);
    await this.messages?.drained();
    await this.events?.drained();
  }

  async finish(): Promise<void> {
    await this.flushBefore(this.now + 120_000);
  }
}
