import { randomUUID } from 'node:crypto';
import { gql } from 'graphql-request';
import { systemEm } from '../../src/db/entity-manager';
import { jsonb, sql } from '../../src/db/sql';
import { refreshAnalytics, type RefreshResult } from '../../src/services/analytics/analytics-refresh.service';
import { channelInput } from './fixtures';
import type { TestApp } from './test-app';
import { waitFor } from './wait';

/**
 * Hand-built histories for report tests: rows written with the exact times a test reasons about,
 * shaped like the ones the runtime writes (see the event log in services/inbound and flows).
 * Reports are then read through GraphQL after `refresh`, which runs the real rollup refresher.
 */

const CREATE_CHANNEL = gql`
  mutation ($input: CreateChannelInput!) { createChannel(input: $input) { channel { id } } }
`;

export const at = (iso: string) => new Date(iso);
export const plusSeconds = (time: Date, seconds: number) => new Date(time.getTime() + seconds * 1000);

export async function createTestChannel(app: TestApp, ownerKey: string): Promise<string> {
  const result = await app.client(ownerKey).request<{ createChannel: { channel: { id: string } } }>(CREATE_CHANNEL, { input: channelInput() });
  return result.createChannel.channel.id;
}

export interface MessageRow {
  conversationId: string;
  direction: 'IN' | 'OUT';
  at: Date;
  type?: string;
  text?: string | null;
  authorKind?: 'CUSTOMER' | 'AGENT' | 'API' | 'BOT' | 'SYSTEM';
  authorUserId?: string | null;
  templateId?: string | null;
  flow?: { id: string; version: number; nodeId: string } | null;
  status?: 'RECEIVED' | 'QUEUED' | 'SENT' | 'DELIVERED' | 'READ' | 'FAILED';
  sentAt?: Date | null;
  deliveredAt?: Date | null;
  readAt?: Date | null;
  failedAt?: Date | null;
  errorCode?: string | null;
  errorTitle?: string | null;
  pricingCategory?: string | null;
}

export class History {
  private readonly conversations = new Map<string, { channelId: string; organizationId: string }>();

  constructor(
    readonly app: TestApp,
    readonly organizationId: string,
  ) {}

  private em() {
    return systemEm(this.app.orm);
  }

  async contact(options: { waId?: string; name?: string; firstSeenAt: Date; lastSeenAt?: Date }): Promise<string> {
    const id = randomUUID();
    await sql(
      this.em(),
      `insert into contact (id, created_at, updated_at, organization_id, wa_id, name, first_seen_at, last_seen_at)
       values (?, ?, ?, ?, ?, ?, ?, ?)`,
      [id, options.firstSeenAt, options.firstSeenAt, this.organizationId, options.waId ?? `1555${Math.floor(Math.random() * 1e9)}`,
        options.name ?? null, options.firstSeenAt, options.lastSeenAt ?? options.firstSeenAt],
    );
    return id;
  }

  /** A conversation and its CONVERSATION_OPENED event at `openedAt`. */
  async conversation(options: { channelId: string; contactId: string; openedAt: Date; status?: string; assignedToId?: string | null }): Promise<string> {
    const id = randomUUID();
    await sql(
      this.em(),
      `insert into conversation (id, created_at, updated_at, organization_id, channel_id, contact_id, status, assigned_to_id, last_message_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [id, options.openedAt, options.openedAt, this.organizationId, options.channelId, options.contactId, options.status ?? 'WAITING_AGENT',
        options.assignedToId ?? null, options.openedAt],
    );
    this.conversations.set(id, { channelId: options.channelId, organizationId: this.organizationId });
    await this.event(id, 'CONVERSATION_OPENED', { channelId: options.channelId, contactId: options.contactId }, options.openedAt);
    return id;
  }

  /** A message and its MESSAGE_RECEIVED / MESSAGE_SENT event (plus one MESSAGE_STATUS_CHANGED per status time given). */
  async message(row: MessageRow): Promise<string> {
    const conversation = this.conversations.get(row.conversationId);
    if (!conversation) throw new Error('History.message: create the conversation with this History first');
    const id = randomUUID();
    const inbound = row.direction === 'IN';
    const status = row.status ?? (inbound ? 'RECEIVED' : row.failedAt ? 'FAILED' : row.readAt ? 'READ' : row.deliveredAt ? 'DELIVERED' : row.sentAt ? 'SENT' : 'QUEUED');
    await sql(
      this.em(),
      `insert into message (id, created_at, updated_at, organization_id, conversation_id, channel_id, wamid, direction, type, text, payload,
         status, sent_at_meta, sent_at, delivered_at, read_at, failed_at, error_code, error_title, pricing_category,
         author_kind, author_user_id, template_id, flow_id, flow_version, flow_node_id)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '{}'::jsonb, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [id, row.at, row.at, this.organizationId, row.conversationId, conversation.channelId, `wamid.${id}`, row.direction, row.type ?? 'TEXT',
        row.text ?? null, status, inbound ? row.at : (row.sentAt ?? null), row.sentAt ?? null, row.deliveredAt ?? null, row.readAt ?? null,
        row.failedAt ?? null, row.errorCode ?? null, row.errorTitle ?? null, row.pricingCategory ?? null,
        row.authorKind ?? (inbound ? 'CUSTOMER' : 'BOT'), row.authorUserId ?? null, row.templateId ?? null,
        row.flow?.id ?? null, row.flow?.version ?? null, row.flow?.nodeId ?? null],
    );
    await sql(this.em(), 'update conversation set last_message_at = greatest(last_message_at, ?), last_message_id = ? where id = ?', [row.at, id, row.conversationId]);
    if (inbound) {
      await this.event(row.conversationId, 'MESSAGE_RECEIVED', { messageId: id, wamid: `wamid.${id}`, type: row.type ?? 'TEXT' }, row.at);
    } else {
      await this.event(row.conversationId, 'MESSAGE_SENT', { messageId: id, type: row.type ?? 'TEXT', author: row.authorKind ?? 'BOT',
        ...(row.authorUserId ? { userId: row.authorUserId } : {}) }, row.at);
      const transitions: [string, Date | null | undefined][] = [['SENT', row.sentAt], ['DELIVERED', row.deliveredAt], ['READ', row.readAt], ['FAILED', row.failedAt]];
      for (const [to, time] of transitions) {
        if (time) await this.event(row.conversationId, 'MESSAGE_STATUS_CHANGED', { messageId: id, status: to, ...(to === 'FAILED' ? { errorCode: row.errorCode, errorTitle: row.errorTitle } : {}) }, time);
      }
    }
    return id;
  }

  /** One conversation_event row, as the runtime appends it. */
  async event(conversationId: string, type: string, data: Record<string, unknown>, time: Date): Promise<string> {
    const [row] = await sql<{ id: string }>(
      this.em(),
      `insert into conversation_event (organization_id, conversation_id, type, data, created_at) values (?, ?, ?, ?::jsonb, ?) returning id`,
      [this.organizationId, conversationId, type, jsonb(data), time],
    );
    return String(row!.id);
  }

  /** A BOT event of a flow step (node_entered, validation_failed, retried, handoff, ended, expired...). */
  bot(conversationId: string, flow: { id: string; version: number }, data: Record<string, unknown>, time: Date) {
    return this.event(conversationId, 'BOT', { ...data, flowId: flow.id, flowVersion: flow.version }, time);
  }
}

/**
 * Runs the real rollup refresher until it has applied every event written so far. The refresher
 * reads events in seq order, and this history writes them without the sequencer's nudge: sequence
 * them first. The scheduled refresher may hold the state row at that moment (this pass then
 * skips): wait for it and run again.
 */
export async function refresh(app: TestApp): Promise<RefreshResult> {
  await app.deps.events.sequenceNow();
  const result = await waitFor(
    async () => {
      const result = await refreshAnalytics(systemEm(app.orm));
      return result.ran ? result : null;
    },
    { what: 'a refresher pass of our own', timeoutMs: 30_000 },
  );
  return result!;
}
