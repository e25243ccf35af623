import type { EntityManager } from '../../db/entity-manager';
import { sql } from '../../db/sql';
import { BUCKET_MS, floorBucket } from './analytics-range';
import { bucketPairs, mergeOrganizationBuckets, type OrganizationBuckets } from './organization-buckets';
import type { BucketRollupBuilder, ConversationFactsBuilder, RollupBuilder } from './rollup-builder';
import { ROLLUP_BUILDERS } from './rollup-registry';

/** Events applied per transaction: a backlog (a first run, a long outage) is worked off in slices. */
const EVENTS_PER_PASS = 20_000;
const CONVERSATIONS_PER_CHUNK = 500;

export interface RefreshResult {
  events: number;
  conversations: number;
  buckets: number;
  /** False when another refresher held the state row: this one did nothing. */
  ran: boolean;
}

const conversationBuilders = (builders: readonly RollupBuilder[]) =>
  builders.filter((builder): builder is ConversationFactsBuilder => builder.kind === 'conversation');
const bucketBuilders = (builders: readonly RollupBuilder[]) =>
  builders.filter((builder): builder is BucketRollupBuilder => builder.kind === 'bucket');

export async function rebuildConversationFacts(em: EntityManager, conversationIds: string[], builders = ROLLUP_BUILDERS): Promise<void> {
  for (let start = 0; start < conversationIds.length; start += CONVERSATIONS_PER_CHUNK) {
    const chunk = conversationIds.slice(start, start + CONVERSATIONS_PER_CHUNK);
    for (const builder of conversationBuilders(builders)) await builder.rebuildConversations(em, chunk);
  }
}

/** Organizations per round of bucket statements: each adds its ranges to the statements' text. */
const ORGANIZATIONS_PER_CHUNK = 200;

export async function rebuildBuckets(em: EntityManager, work: OrganizationBuckets[], builders = ROLLUP_BUILDERS): Promise<void> {
  for (let start = 0; start < work.length; start += ORGANIZATIONS_PER_CHUNK) {
    const chunk = work.slice(start, start + ORGANIZATIONS_PER_CHUNK);
    for (const builder of bucketBuilders(builders)) await builder.rebuildBuckets(em, chunk);
  }
}

/**
 * Owed quarter hours rebuilt per pass once they have ended. A run makes more passes only while new
 * events are behind, not for owed quarter hours: the first run after a quarter hour ends would
 * otherwise rebuild every organization's at once, a burst of database work. The rest are paid by
 * the next runs, and until then reports read them raw.
 */
const DUE_PER_PASS = 500;

/**
 * Splits `work` at `open`, the quarter hour being written, and owes the open part: reports read that
 * quarter hour from the raw rows (splitRange), so its rollups are rebuilt once, after it has ended,
 * rather than on every pass while it grows (which made the work of a quarter hour grow with the
 * square of its messages). Buckets before `open` that a change in the open part alters (a reply
 * credits an older message of ours) are returned with the ended part, to rebuild now.
 */
async function deferOpenBuckets(
  em: EntityManager,
  work: OrganizationBuckets[],
  conversationIds: string[],
  open: Date,
  builders: readonly BucketRollupBuilder[],
) {
  const split = (list: OrganizationBuckets[], ended: boolean) =>
    list.map(({ organizationId, buckets }) => ({ organizationId, buckets: buckets.filter((bucket) => bucket < open === ended) }));
  const openWork = mergeOrganizationBuckets(split(work, false));
  if (!openWork.length) return work;
  const pairs = bucketPairs(openWork);
  await sql(em, 'insert into analytics_pending_bucket (organization_id, bucket) select * from unnest(?::uuid[], ?::timestamptz[]) on conflict do nothing', [
    pairs.organizations,
    pairs.buckets,
  ]);
  const affected: OrganizationBuckets[][] = [];
  for (const builder of builders) if (builder.earlierBucketsAffected) affected.push(await builder.earlierBucketsAffected(em, conversationIds, open));
  return mergeOrganizationBuckets(split(work, true), ...affected.map((list) => split(list, true)));
}

/** Takes (deletes and returns) up to DUE_PER_PASS owed quarter hours that have ended, oldest first. */
async function takeDueBuckets(em: EntityManager, open: Date): Promise<OrganizationBuckets[]> {
  const rows = await sql<{ organization_id: string; bucket: Date }>(
    em,
    `delete from analytics_pending_bucket p
      using (select bucket, organization_id from analytics_pending_bucket where bucket < ? order by bucket, organization_id limit ?) due
      where p.bucket = due.bucket and p.organization_id = due.organization_id
     returning p.organization_id, p.bucket`,
    [open, DUE_PER_PASS],
  );
  return mergeOrganizationBuckets(rows.map((row) => ({ organizationId: row.organization_id, buckets: [new Date(row.bucket)] })));
}

/**
 * Applies the events in (lower, upper]: rebuilds the facts of their conversations, and returns the
 * quarter hours they touched that are to be rebuilt now (the open one is owed: deferOpenBuckets).
 */
async function applySlice(em: EntityManager, lower: string, upper: string, open: Date, builders: readonly RollupBuilder[]) {
  const conversations = await sql<{ conversation_id: string }>(em, 'select distinct conversation_id from conversation_event where seq > ? and seq <= ?', [
    lower,
    upper,
  ]);
  const conversationIds = conversations.map((row) => row.conversation_id);
  await rebuildConversationFacts(em, conversationIds, builders);

  // The quarter hour an event counts in: its message's time for message events, else its own.
  const dirty = await sql<{ organization_id: string; bucket: Date }>(
    em,
    `select distinct e.organization_id, date_bin('15 minutes', coalesce(m.created_at, e.created_at), timestamptz 'epoch') as bucket
       from conversation_event e
       left join message m on m.id = case when e.data->>'messageId' ~* '^[0-9a-f-]{36}$' then (e.data->>'messageId')::uuid end
      where e.seq > ? and e.seq <= ?`,
    [lower, upper],
  );
  const touched = mergeOrganizationBuckets(dirty.map((row) => ({ organizationId: row.organization_id, buckets: [new Date(row.bucket)] })));
  return { conversations: conversations.length, work: await deferOpenBuckets(em, touched, conversationIds, open, bucketBuilders(builders)) };
}

/**
 * One pass of the refresher: applies the events after the last applied one (a slice of at most
 * EVENTS_PER_PASS) to every rollup, then moves the mark before which rollups are complete.
 * Events are taken in `seq` order, the order the EventSequencer gives committed events, so an
 * event never appears below the mark after the mark has passed it (ids, drawn at insert, could).
 * An event is picked up once it is sequenced, milliseconds after its commit. The quarter hour
 * being written is owed rather than rebuilt (deferOpenBuckets), and paid once it has ended; the
 * mark never passes a quarter hour still owed. The state row is locked for the pass, so
 * concurrent refreshers (several worker processes) skip instead of doing the same work twice.
 */
async function refreshPass(em: EntityManager, builders: readonly RollupBuilder[]): Promise<RefreshResult & { caughtUp: boolean }> {
  return em.transactional(async (tx) => {
    const [state] = await sql<{ last_seq: string; now: Date }>(
      tx,
      'select last_seq, now() as now from analytics_refresh_state where id = 1 for update skip locked',
    );
    if (!state) return { events: 0, conversations: 0, buckets: 0, ran: false, caughtUp: true };
    const now = new Date(state.now);
    const open = floorBucket(now);
    const lower = state.last_seq;
    const [window] = await sql<{ upper: string | null; count: string; upper_at: Date | null }>(
      tx,
      `select max(seq) as upper, count(*) as count, max(created_at) as upper_at
         from (select seq, created_at from conversation_event where seq > ? order by seq limit ?) slice`,
      [lower, EVENTS_PER_PASS],
    );
    const count = Number(window!.count);
    const upper = window!.upper ?? lower;

    const applied = window!.upper ? await applySlice(tx, lower, upper, open, builders) : { conversations: 0, work: [] };
    const work = mergeOrganizationBuckets(applied.work, await takeDueBuckets(tx, open));
    await rebuildBuckets(tx, work, builders);

    const [owed] = await sql<{ oldest: Date | null }>(tx, 'select min(bucket) as oldest from analytics_pending_bucket');
    const oldestOwed = owed!.oldest ? new Date(owed!.oldest) : null;
    // Behind a backlog, rollups are complete only up to the newest event applied; never past a quarter hour owed.
    const eventsCaughtUp = count < EVENTS_PER_PASS;
    let completeBefore = floorBucket(eventsCaughtUp ? now : new Date(window!.upper_at!));
    if (oldestOwed && oldestOwed < completeBefore) completeBefore = oldestOwed;
    await sql(
      tx,
      'update analytics_refresh_state set last_seq = ?, complete_before = greatest(complete_before, ?), updated_at = now() where id = 1',
      [upper, completeBefore],
    );
    const buckets = work.reduce((sum, item) => sum + item.buckets.length, 0);
    return { events: count, conversations: applied.conversations, buckets, ran: true, caughtUp: eventsCaughtUp };
  });
}

/** The repeatable job's work: passes until the event log is caught up (or `maxPasses`). */
export async function refreshAnalytics(em: EntityManager, options: { maxPasses?: number; builders?: readonly RollupBuilder[] } = {}): Promise<RefreshResult> {
  const total: RefreshResult = { events: 0, conversations: 0, buckets: 0, ran: false };
  const maxPasses = options.maxPasses ?? 50;
  for (let pass = 0; pass < maxPasses; pass++) {
    const result = await refreshPass(em, options.builders ?? ROLLUP_BUILDERS);
    total.events += result.events;
    total.conversations += result.conversations;
    total.buckets += result.buckets;
    total.ran ||= result.ran;
    if (!result.ran || result.caughtUp) break;
  }
  return total;
}

export interface RebuildProgress {
  done: number;
  total: number;
}

/**
 * Rebuilds every rollup of one organization for [from, to): the facts of each conversation with
 * events in the range, and every quarter hour of it. Work is committed in chunks, so a long
 * rebuild neither holds one huge transaction nor blocks the refresher for its whole length.
 */
export async function rebuildRange(
  em: EntityManager,
  organizationId: string,
  from: Date,
  to: Date,
  onProgress: (progress: RebuildProgress) => Promise<void> = async () => {},
  builders: readonly RollupBuilder[] = ROLLUP_BUILDERS,
): Promise<RebuildProgress & { conversations: number; buckets: number }> {
  const rows = await sql<{ conversation_id: string }>(
    em,
    `select distinct conversation_id from conversation_event where organization_id = ? and created_at >= ? and created_at < ?`,
    [organizationId, from, to],
  );
  const conversationIds = rows.map((row) => row.conversation_id);
  const buckets: Date[] = [];
  for (let at = floorBucket(from).getTime(); at < to.getTime(); at += BUCKET_MS) buckets.push(new Date(at));
  const BUCKETS_PER_CHUNK = 96; // a day
  const total = Math.ceil(conversationIds.length / CONVERSATIONS_PER_CHUNK) + Math.ceil(buckets.length / BUCKETS_PER_CHUNK);
  let done = 0;
  for (let start = 0; start < conversationIds.length; start += CONVERSATIONS_PER_CHUNK) {
    await em.transactional((tx) => rebuildConversationFacts(tx, conversationIds.slice(start, start + CONVERSATIONS_PER_CHUNK), builders));
    await onProgress({ done: ++done, total });
  }
  for (let start = 0; start < buckets.length; start += BUCKETS_PER_CHUNK) {
    await em.transactional((tx) => rebuildBuckets(tx, [{ organizationId, buckets: buckets.slice(start, start + BUCKETS_PER_CHUNK) }], builders));
    await onProgress({ done: ++done, total });
  }
  return { done, total, conversations: conversationIds.length, buckets: buckets.length };
}
