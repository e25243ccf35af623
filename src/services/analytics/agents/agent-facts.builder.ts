import type { EntityManager } from '../../../db/entity-manager';
import { sql } from '../../../db/sql';
import { isUuid } from '../../../db/find-by-id';
import type { ConversationFactsBuilder } from '../rollup-builder';
import { arrayLiteral } from '../../../db/pg-array';
import { deriveEpisodes, episodeDurations, type AgentEpisode, type EpisodeEvent, type EpisodeEventType } from './agent-episodes';

interface EventRow {
  conversation_id: string;
  type: EpisodeEventType;
  at: Date;
  status: string | null;
  user_id: string | null;
  author: string | null;
  bot_type: string | null;
  by: string | null;
}

/**
 * The events episodes depend on, in log order. Variable assignments (the bulk of a bot's steps)
 * and message status updates never start or end an episode, so they are not read.
 */
const EVENTS = `
  select e.conversation_id, e.type, e.created_at as at,
         e.data->>'status' as status, e.data->>'userId' as user_id, e.data->>'author' as author,
         case when e.type = 'BOT' then e.data->>'type' end as bot_type, e.data->>'by' as by
    from conversation_event e
   where e.conversation_id = any(?::uuid[])
     and e.type in ('CONVERSATION_OPENED', 'MESSAGE_RECEIVED', 'MESSAGE_SENT', 'STATUS_CHANGED', 'ASSIGNED', 'BOT')
     and (e.type <> 'BOT' or e.data->>'type' is distinct from 'variable_set')
   order by e.conversation_id, e.id`;

interface EpisodeRow {
  conversationId: string;
  organizationId: string;
  channelId: string;
  episode: AgentEpisode;
}

async function insertEpisodes(em: EntityManager, rows: EpisodeRow[]): Promise<void> {
  if (!rows.length) return;
  const column = (pick: (row: EpisodeRow) => string | number | null) => arrayLiteral(rows.map(pick));
  const iso = (at: Date | null) => at?.toISOString() ?? null;
  await sql(
    em,
    `insert into analytics_agent_episode (conversation_id, seq, organization_id, channel_id, agent_id, started_by, waiting_since,
       first_response_at, first_response_by, resolved_at, ended_at, end_reason, agent_messages, agent_own_messages,
       first_response_seconds, resolution_seconds, previous_same_agent_at, previous_attributed_at)
     select * from unnest(?::uuid[], ?::int[], ?::uuid[], ?::uuid[], ?::uuid[], ?::text[], ?::timestamptz[],
       ?::timestamptz[], ?::uuid[], ?::timestamptz[], ?::timestamptz[], ?::text[], ?::int[], ?::int[],
       ?::float8[], ?::float8[], ?::timestamptz[], ?::timestamptz[])`,
    [
      column((row) => row.conversationId),
      column((row) => row.episode.seq),
      column((row) => row.organizationId),
      column((row) => row.channelId),
      column((row) => row.episode.agentId),
      column((row) => row.episode.startedBy),
      column((row) => iso(row.episode.waitingSince)),
      column((row) => iso(row.episode.firstResponseAt)),
      column((row) => row.episode.firstResponseBy),
      column((row) => iso(row.episode.resolvedAt)),
      column((row) => iso(row.episode.endedAt)),
      column((row) => row.episode.endReason),
      column((row) => row.episode.agentMessages),
      column((row) => (row.episode.agentId ? (row.episode.messagesByAuthor.get(row.episode.agentId) ?? 0) : 0)),
      column((row) => episodeDurations(row.episode).firstResponseSeconds),
      column((row) => episodeDurations(row.episode).resolutionSeconds),
      column((row) => iso(row.episode.previousSameAgentAt)),
      column((row) => iso(row.episode.previousAttributedAt)),
    ],
  );
  // Members who wrote in an episode that is someone else's.
  const helpers = rows.flatMap((row) =>
    [...row.episode.messagesByAuthor].filter(([userId]) => userId !== row.episode.agentId).map(([userId, messages]) => ({ row, userId, messages })),
  );
  if (!helpers.length) return;
  await sql(
    em,
    `insert into analytics_agent_episode_helper (conversation_id, seq, user_id, organization_id, channel_id, waiting_since, messages)
     select * from unnest(?::uuid[], ?::int[], ?::uuid[], ?::uuid[], ?::uuid[], ?::timestamptz[], ?::int[])`,
    [
      arrayLiteral(helpers.map((helper) => helper.row.conversationId)),
      arrayLiteral(helpers.map((helper) => helper.row.episode.seq)),
      arrayLiteral(helpers.map((helper) => helper.userId)),
      arrayLiteral(helpers.map((helper) => helper.row.organizationId)),
      arrayLiteral(helpers.map((helper) => helper.row.channelId)),
      arrayLiteral(helpers.map((helper) => helper.row.episode.waitingSince.toISOString())),
      arrayLiteral(helpers.map((helper) => helper.messages)),
    ],
  );
}

/**
 * Deletes the conversations' episodes and derives them again from the log (deriveEpisodes), in
 * the caller's transaction: three reads and four writes per call, whatever the number of conversations.
 */
export async function rebuildAgentEpisodes(em: EntityManager, conversationIds: string[]): Promise<void> {
  if (!conversationIds.length) return;
  const ids = arrayLiteral(conversationIds);
  await sql(em, 'delete from analytics_agent_episode_helper where conversation_id = any(?::uuid[])', [ids]);
  await sql(em, 'delete from analytics_agent_episode where conversation_id = any(?::uuid[])', [ids]);
  const conversations = await sql<{ id: string; organization_id: string; channel_id: string }>(
    em,
    'select id, organization_id, channel_id from conversation where id = any(?::uuid[])',
    [ids],
  );
  const events = await sql<EventRow>(em, EVENTS, [ids]);
  const byConversation = new Map<string, EpisodeEvent[]>();
  for (const row of events) {
    const list = byConversation.get(row.conversation_id) ?? [];
    // The log is JSON: an id that is not a uuid is treated as no member rather than failing the cast.
    const userId = row.user_id && isUuid(row.user_id) ? row.user_id : null;
    list.push({ type: row.type, at: new Date(row.at), status: row.status, userId, author: row.author, botType: row.bot_type, by: row.by });
    byConversation.set(row.conversation_id, list);
  }
  const rows: EpisodeRow[] = conversations.flatMap((conversation) =>
    deriveEpisodes(byConversation.get(conversation.id) ?? []).map((episode) => ({
      conversationId: conversation.id,
      organizationId: conversation.organization_id,
      channelId: conversation.channel_id,
      episode,
    })),
  );
  await insertEpisodes(em, rows);
}

/** Agent handling episodes per conversation (analytics_agent_episode and its helpers), for agentMetrics. */
export const agentFactsBuilder: ConversationFactsBuilder = {
  kind: 'conversation',
  name: 'agent-episodes',
  rebuildConversations: rebuildAgentEpisodes,
};
