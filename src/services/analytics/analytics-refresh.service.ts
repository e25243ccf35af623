import type { EntityManager } from '../../db/entity-manager';
import { sql } from '../../db/sql';
import { BUCKET_MS, floorBucket } from './analytics-range';
import { mergeOrganizationBuckets, type OrganizationBuckets } from './organization-buckets';
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
 * One pass of the refresher: applies the events after the last applied one (a slice of at most
 * EVENTS_PER_PASS) to every rollup, then moves the mark before which rollups are complete.
 * Events are taken in `seq` order, the order the EventSequencer gives committed events, so an
 * event never appears below the mark after the mark has passed it (ids, drawn at insert, could).
 * An event is picked up once it is sequenced, milliseconds after its commit. The state row is
 * locked for the pass, so concurrent refreshers (several worker processes) skip instead of doing
 * the same work twice.
 */
async function refreshPass(em: EntityManager, builders: readonly RollupBuilder[]): Promise<RefreshResult & { caughtUp: boolean }> {
  return em.transactional(async (tx) => {
    const [state] = await sql<{ last_seq: string; now: Date }>(
      tx,
      'select last_seq, now() as now from analytics_refresh_state where id = 1 for update skip locked',
    );
    if (!state) return { events: 0, conversations: 0, buckets: 0, ran: false, caughtUp: true };
    const lower = state.last_seq;
    const [window] = await sql<{ upper: string | null; count: string; upper_at: Date | null }>(
      tx,
      `select max(seq) as upper, count(*) as count, max(created_at) as upper_at
         from (select seq, created_at from conversation_event where seq > ? order by seq limit ?) slice`,
      [lower, EVENTS_PER_PASS],
    );
    const count = Number(window!.count);
    const now = new Date(state.now);
    if (!window!.upper) {
      await sql(tx, 'update analytics_refresh_state set complete_before = greatest(complete_before, ?), updated_at = now() where id = 1', [floorBucket(now)]);
      return { events: 0, conversations: 0, buckets: 0, ran: true, caughtUp: true };
    }
    const upper = window!.upper;

    const conversations = await sql<{ conversation_id: string }>(
      tx,
      'select distinct conversation_id from conversation_event where seq > ? and seq <= ?',
      [lower, upper],
    );
    await rebuildConversationFacts(tx, conversations.map((row) => row.conversation_id), builders);

    // The quarter hour an event counts in: its message's time for message events, else its own.
    const dirty = await sql<{ organization_id: string; bucket: Date }>(
      tx,
      `select distinct e.organization_id,
              to_timestamp(floor(extract(epoch from coalesce(m.created_at, e.created_at)) / ?) * ?) as bucket
         from conversation_event e
         left join message m on m.id = case when e.data->>'messageId' ~* '^[0-9a-f-]{36}$' then (e.data->>'messageId')::uuid end
        where e.seq > ? and e.seq <= ?`,
      [BUCKET_MS / 1000, BUCKET_MS / 1000, lower, upper],
    );
    const work = mergeOrganizationBuckets(dirty.map((row) => ({ organizationId: row.organization_id, buckets: [new Date(row.bucket)] })));
    await rebuildBuckets(tx, work, builders);

    const caughtUp = count < EVENTS_PER_PASS;
    // Behind a backlog, rollups are complete only up to the newest event applied.
    const completeBefore = floorBucket(caughtUp ? now : new Date(window!.upper_at!));
    await sql(
      tx,
      'update analytics_refresh_state set last_seq = ?, complete_before = greatest(complete_before, ?), updated_at = now() where id = 1',
      [upper, completeBefore],
    );
    return { events: count, conversations: conversations.length, buckets: dirty.length, ran: true, caughtUp };
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
