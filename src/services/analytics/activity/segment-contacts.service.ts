import { Contact } from '../../../entities/contact.entity';
import { badInput } from '../../../domain/errors';
import { pageSize, type Page, type PageArgs } from '../../../db/paginate';
import { sql } from '../../../db/sql';
import type { MemberScope } from '../../scope';
import { isUuid } from '../../../db/find-by-id';
import type { ReportOptions } from './report-parts';
import type { UserSegment } from './segment-rule';
import { classifiedContactsSql, resolveSegmentQuery, type SegmentInput } from './user-segments.service';

export interface SegmentContactNode {
  contact: Contact;
  segment: UserSegment;
  messages: number;
  lastMessageAt: Date;
}

/*
 * Keyset cursor over (last message desc, contact id desc). The time travels as PostgreSQL wrote it,
 * microseconds included: a JavaScript Date would round them and skip or repeat contacts.
 */
const encodeCursor = (lastAt: string, contactId: string) => Buffer.from(JSON.stringify([lastAt, contactId])).toString('base64url');

function decodeCursor(cursor: string): { lastAt: string; contactId: string } {
  try {
    const [lastAt, contactId] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown];
    if (typeof lastAt !== 'string' || lastAt.length > 40 || Number.isNaN(Date.parse(lastAt))) throw new Error('bad time');
    if (typeof contactId !== 'string' || !isUuid(contactId)) throw new Error('bad id');
    return { lastAt, contactId };
  } catch {
    throw badInput('after', 'after is not a cursor returned by this connection');
  }
}

interface PageRow {
  contact_id: string;
  messages: number;
  /** As PostgreSQL's JSON writes it. */
  last_at: string;
  segment: UserSegment;
}

/** segmentContacts: the contacts of one segment, most recently active first, with their message counts. */
export async function segmentContacts(
  scope: MemberScope,
  input: SegmentInput & { segment: UserSegment } & PageArgs,
  options: ReportOptions = {},
): Promise<Page<SegmentContactNode>> {
  const limit = pageSize(input.first);
  const after = input.after ? decodeCursor(input.after) : null;
  const query = await resolveSegmentQuery(scope, input, options);
  const classified = classifiedContactsSql(query);
  const [result] = await sql<{ total: number; page: PageRow[] }>(
    scope.em,
    `with matching as materialized (select * from (${classified.text}) classified where segment = ?)
     select (select count(*) from matching)::int as total,
            coalesce((select json_agg(page order by page.last_at desc, page.contact_id desc)
                        from (select * from matching
                               where ${after ? '(last_at < ?::timestamptz or (last_at = ?::timestamptz and contact_id < ?::uuid))' : 'true'}
                               order by last_at desc, contact_id desc limit ?) page), '[]') as page`,
    [...classified.params, input.segment, ...(after ? [after.lastAt, after.lastAt, after.contactId] : []), limit + 1],
  );
  const rows = result!.page.slice(0, limit);
  const contacts = rows.length ? await scope.em.find(Contact, { id: { $in: rows.map((row) => row.contact_id) } }) : [];
  const byId = new Map(contacts.map((contact) => [contact.id, contact]));
  const edges = rows.flatMap((row) => {
    const contact = byId.get(row.contact_id);
    // A contact deleted since the rollup was read has nothing left to show.
    if (!contact) return [];
    return [{ cursor: encodeCursor(row.last_at, row.contact_id), node: { contact, segment: row.segment, messages: row.messages, lastMessageAt: new Date(row.last_at) } }];
  });
  return {
    edges,
    totalCount: result!.total,
    pageInfo: {
      hasNextPage: result!.page.length > limit,
      hasPreviousPage: Boolean(input.after),
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
