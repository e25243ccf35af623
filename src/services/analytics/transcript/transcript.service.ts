import type { EntityManager } from '../../../db/entity-manager';
import { sql } from '../../../db/sql';
import { pageSize, type Page, type PageArgs } from '../../../db/paginate';
import { badInput, notFound } from '../../../domain/errors';
import type { MemberScope } from '../../scope';
import { isUuid } from '../../../db/find-by-id';
import { arrayLiteral } from '../../../db/pg-array';
import { idsToResolve, transcriptEntry, type TranscriptEntry, type TranscriptPeople, type TranscriptRow } from './transcript-entry';

const MAX_EVENT_ID = (1n << 63n) - 1n;
/** Rows the export reads at a time: memory stays flat however long the conversation. */
export const EXPORT_PAGE_SIZE = 500;

/** NOT_FOUND alike for a malformed id, a missing conversation and another organization's. */
export async function requireConversation(em: EntityManager, organizationId: string, conversationId: string, field = 'conversationId'): Promise<void> {
  const found = isUuid(conversationId)
    ? await sql(em, 'select 1 from conversation where id = ? and organization_id = ?', [conversationId, organizationId])
    : [];
  if (!found.length) throw notFound('Conversation', field);
}

/** The cursor of an entry is its event id (as in conversationEvents): a decimal bigint. */
function eventIdAfter(after: string | null | undefined): string {
  if (after === undefined || after === null) return '0';
  if (!/^\d{1,19}$/.test(after) || BigInt(after) > MAX_EVENT_ID) throw badInput('after', 'after is not a cursor returned by this transcript');
  return after;
}

/** A slice of the log in order, each event with the message it is about. Organization filtered here: raw SQL. */
async function readRows(em: EntityManager, organizationId: string, conversationId: string, afterId: string, limit: number, upToId?: string): Promise<TranscriptRow[]> {
  return sql<TranscriptRow>(
    em,
    `select e.id::text as id, e.type, e.created_at as at, e.data,
            m.id as m_id, m.wamid as m_wamid, m.direction as m_direction, m.type as m_type, m.text as m_text, m.status as m_status,
            m.author_kind as m_author_kind, m.author_user_id as m_author_user_id, m.error_code as m_error_code,
            m.error_title as m_error_title, m.flow_node_id as m_flow_node_id
       from conversation_event e
       left join message m
         on e.type in ('MESSAGE_RECEIVED', 'MESSAGE_SENT', 'MESSAGE_STATUS_CHANGED')
        and m.id = case when e.data->>'messageId' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then (e.data->>'messageId')::uuid end
        and m.organization_id = e.organization_id
      where e.organization_id = ? and e.conversation_id = ? and e.id > ?${upToId ? ' and e.id <= ?' : ''}
      order by e.id
      limit ?`,
    [organizationId, conversationId, afterId, ...(upToId ? [upToId] : []), limit],
  );
}

/** The organization's members and API keys among `ids`, in one query. */
async function loadPeople(em: EntityManager, organizationId: string, ids: string[]): Promise<TranscriptPeople> {
  const people: TranscriptPeople = { members: new Map(), apiKeys: new Map() };
  const uuids = ids.filter(isUuid);
  if (!uuids.length) return people;
  const array = arrayLiteral(uuids);
  const rows = await sql<{ id: string; kind: 'member' | 'key'; name: string; email: string | null }>(
    em,
    `select id, 'member' as kind, name, email from "user" where organization_id = ? and id = any(?::uuid[])
     union all
     select id, 'key' as kind, name, null as email from api_key where organization_id = ? and id = any(?::uuid[])`,
    [organizationId, array, organizationId, array],
  );
  for (const row of rows) {
    if (row.kind === 'member') people.members.set(row.id, { id: row.id, name: row.name, email: row.email! });
    else people.apiKeys.set(row.id, { id: row.id, name: row.name });
  }
  return people;
}

async function entriesOf(em: EntityManager, organizationId: string, rows: TranscriptRow[]): Promise<TranscriptEntry[]> {
  const people = await loadPeople(em, organizationId, idsToResolve(rows));
  return rows.map((row) => transcriptEntry(row, people));
}

/** conversationTranscript: one page of the transcript, oldest first, after the cursor given. */
export async function transcriptPage(scope: MemberScope, conversationId: string, args: PageArgs): Promise<Page<TranscriptEntry>> {
  const organizationId = scope.viewer.organizationId;
  const limit = pageSize(args.first);
  const afterId = eventIdAfter(args.after);
  await requireConversation(scope.em, organizationId, conversationId);
  const [rows, [count]] = await Promise.all([
    readRows(scope.em, organizationId, conversationId, afterId, limit + 1),
    sql<{ total: number }>(scope.em, 'select count(*)::int as total from conversation_event where organization_id = ? and conversation_id = ?', [
      organizationId,
      conversationId,
    ]),
  ]);
  const entries = await entriesOf(scope.em, organizationId, rows.slice(0, limit));
  const edges = entries.map((entry) => ({ cursor: entry.cursor, node: entry }));
  return {
    edges,
    totalCount: count!.total,
    pageInfo: {
      hasNextPage: rows.length > limit,
      hasPreviousPage: afterId !== '0',
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

/**
 * The whole transcript as it stood when the export began (events logged later are left out, so
 * the file is a consistent prefix of the log), `pageSize` entries at a time.
 */
export async function* transcriptPages(em: EntityManager, organizationId: string, conversationId: string, size = EXPORT_PAGE_SIZE): AsyncGenerator<TranscriptEntry[]> {
  const [last] = await sql<{ id: string | null }>(em, 'select max(id)::text as id from conversation_event where organization_id = ? and conversation_id = ?', [
    organizationId,
    conversationId,
  ]);
  const upToId = last?.id;
  if (!upToId) return;
  let afterId = '0';
  for (;;) {
    const rows = await readRows(em, organizationId, conversationId, afterId, size, upToId);
    if (!rows.length) return;
    yield await entriesOf(em, organizationId, rows);
    afterId = rows.at(-1)!.id;
    if (rows.length < size) return;
  }
}
