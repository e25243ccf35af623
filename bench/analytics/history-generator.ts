import { Client } from 'pg';
import { CopyWriter, copyLine } from './copy-writer';
import { ConversationSimulator } from './conversation-sim';
import type { OrgModel } from './history-model';
import { EVENT_COLUMNS, HistorySink, MESSAGE_COLUMNS } from './history-sink';
import { Random } from './random';
import { DAY, MINUTE, type SimConversation } from './sim-conversation';
import { planConversations, type HistoryWindow } from './visit-plan';
import { scheduleNext, VisitQueue } from './visit-queue';

export type { HistoryWindow };

export interface GeneratedHistory {
  /** Per organization id: rows written. */
  counts: Map<string, { contacts: number; conversations: number; messagesIn: number; messagesOut: number; events: number }>;
  eventTypes: Map<string, number>;
  /** Visits per conversation multiplier the calibration chose. */
  activity: number;
  /** The conversation of the first organization with the longest history (for the transcript query). */
  richestConversation: { id: string; rows: number } | null;
}

async function simulate(rng: Random, sink: HistorySink, conversations: SimConversation[], now: number): Promise<void> {
  const simulator = new ConversationSimulator(rng, sink, now);
  const queue = new VisitQueue();
  for (const conversation of conversations) scheduleNext(queue, conversation, now, rng);
  let flushedTo = 0;
  while (queue.size) {
    const { at, conversation } = queue.pop();
    // Every later visit starts at or after `at`: all rows before it are final.
    if (at - flushedTo > 10 * MINUTE) {
      await sink.flushBefore(at);
      flushedTo = at;
    }
    const visit = conversation.visits[conversation.nextVisit]!;
    conversation.nextVisit += 1;
    simulator.visit(conversation, visit, at);
    scheduleNext(queue, conversation, now, rng);
  }
  await sink.finish();
}

/**
 * Messages per conversation for a given activity, on a sample with no rows written. Behaviour per
 * conversation does not depend on the others, so a few thousand tell the average.
 */
async function messagesPerConversation(seed: number, org: OrgModel, window: HistoryWindow, activity: number, sample: number): Promise<number> {
  const rng = new Random(seed);
  const sink = new HistorySink(window.now, window.start, null, null);
  await simulate(rng, sink, planConversations(rng, org, sample, window, activity), window.now);
  const counts = sink.counts.get(org.id);
  return counts ? (counts.messagesIn + counts.messagesOut) / sample : 0;
}

/** The activity that gives the first organization its target messages per conversation (secant steps). */
export async function calibrateActivity(seed: number, org: OrgModel, window: HistoryWindow): Promise<{ activity: number; perConversation: number }> {
  const target = org.messages / org.conversations;
  const sample = Math.min(org.conversations, 6000);
  let [a, b] = [0.05, 0.15];
  let [fa, fb] = [await messagesPerConversation(seed, org, window, a, sample), await messagesPerConversation(seed, org, window, b, sample)];
  for (let i = 0; i < 4 && Math.abs(fb - target) / target > 0.01 && fb !== fa; i++) {
    const next = Math.min(40, Math.max(0, b + ((target - fb) * (b - a)) / (fb - fa)));
    [a, fa] = [b, fb];
    b = next;
    fb = await messagesPerConversation(seed, org, window, b, sample);
  }
  return { activity: b, perConversation: fb };
}

export const CONTACT_COLUMNS = ['id', 'created_at', 'updated_at', 'organization_id', 'wa_id', 'name', 'first_seen_at', 'last_seen_at'] as const;
export const CONVERSATION_COLUMNS = [
  'id', 'created_at', 'updated_at', 'organization_id', 'channel_id', 'contact_id', 'status', 'assigned_to_id',
  'last_inbound_at', 'window_expires_at', 'last_message_at', 'last_message_id',
] as const;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

async function nextEventSeq(databaseUrl: string): Promise<number> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ next: string }>('select coalesce(max(seq), 0) + 1 as next from conversation_event');
    return Number(rows[0]!.next);
  } finally {
    await client.end();
  }
}

/**
 * Writes the organizations' histories: messages and events streamed by COPY in time order while
 * the simulation runs, then contacts and conversations as they stand at `now`.
 */
export async function generateHistory(databaseUrl: string, orgs: OrgModel[], window: HistoryWindow, seed: number, activity: number): Promise<GeneratedHistory> {
  const rng = new Random(seed);
  const conversations: SimConversation[] = [];
  for (const org of orgs) conversations.push(...planConversations(rng, org, org.conversations, window, activity, conversations.length));

  // Seeded events carry their seq: numbering millions through the relay would publish them all.
  const firstSeq = await nextEventSeq(databaseUrl);
  const messageWriter = new CopyWriter(databaseUrl, 'message', MESSAGE_COLUMNS);
  const eventWriter = new CopyWriter(databaseUrl, 'conversation_event', EVENT_COLUMNS);
  const writers = [messageWriter, eventWriter];
  try {
    const sink = new HistorySink(window.now, window.start, messageWriter, eventWriter, firstSeq);
    await simulate(rng, sink, conversations, window.now);
    const contactWriter = new CopyWriter(databaseUrl, 'contact', CONTACT_COLUMNS);
    const conversationWriter = new CopyWriter(databaseUrl, 'conversation', CONVERSATION_COLUMNS);
    writers.push(contactWriter, conversationWriter);

    const counts: GeneratedHistory['counts'] = new Map();
    for (const org of orgs) {
      const rows = sink.counts.get(org.id) ?? { messagesIn: 0, messagesOut: 0, events: 0 };
      counts.set(org.id, { contacts: 0, conversations: 0, ...rows });
    }
    let richest: GeneratedHistory['richestConversation'] = null;
    for (const conversation of conversations) {
      const { final, openedAt } = conversation;
      if (openedAt === null || openedAt > window.now || final.firstSeenAt === null) continue;
      const count = counts.get(conversation.org.id)!;
      count.contacts += 1;
      count.conversations += 1;
      contactWriter.write(copyLine([conversation.contactId, iso(final.firstSeenAt), iso(final.lastSeenAt), conversation.org.id, conversation.waId, conversation.name, iso(final.firstSeenAt), iso(final.lastSeenAt)]));
      conversationWriter.write(
        copyLine([
          conversation.id, iso(openedAt), iso(Math.max(final.lastMessageAt ?? openedAt, openedAt)), conversation.org.id, conversation.channel.id, conversation.contactId,
          final.status, final.assignedTo, iso(final.lastInboundAt), iso(final.lastInboundAt === null ? null : final.lastInboundAt + DAY),
          iso(final.lastMessageAt ?? openedAt), final.lastMessageId,
        ]),
      );
      if (conversation.org === orgs[0] && (!richest || conversation.rows > richest.rows)) richest = { id: conversation.id, rows: conversation.rows };
      if (contactWriter.rows % 5000 === 0) await Promise.all([contactWriter.drained(), conversationWriter.drained()]);
    }
    for (const writer of writers) await writer.end();
    return { counts, eventTypes: sink.eventTypes, activity, richestConversation: richest };
  } catch (error) {
    for (const writer of writers) writer.abort();
    throw error;
  }
}
