import type { EntityManager } from '../../../db/entity-manager';
import { arrayLiteral } from '../../../db/pg-array';
import { sql } from '../../../db/sql';
import type { BucketRollupBuilder } from '../rollup-builder';
import { mergeOrganizationBuckets, withinOrganizationBuckets, type OrganizationBuckets } from '../organization-buckets';
import { SPAN_MINUTES, distinctTimes, floorToSpan, type SpanMinutes } from './delivery-spans';
import { REACHED_STAGES, STAGE_COLUMNS, adjacentMessage, dimensionList } from './delivery-stages.sql';

/** Rebuilds of one organization's delivery rollups take turns: the refresher and a rebuild job may overlap. */
const LOCK_NAMESPACE = 7_300;
const QUARTER_HOUR: SpanMinutes = 15;

const DIMS = dimensionList();
const M_DIMS = dimensionList('m.');
const A_DIMS = dimensionList('a.');
const COUNTERS = 'queued, sent, delivered, read, replied, failed';

/**
 * The quarter hours of outbound messages whose "replied" the messages of `work` may change:
 * a message becomes the next one after its predecessor, so an inbound message arriving now
 * credits (and an outbound one inserted out of order un-credits) an older message of ours, whose
 * bucket the refresher did not mark. Only a conversation's first message in a quarter hour can
 * follow a message of another quarter hour (the others follow one in their own, rebuilt anyway),
 * so only those are looked up: a rebuild costs a probe per conversation, not per message.
 */
async function bucketsOfPredecessors(em: EntityManager, work: OrganizationBuckets[]): Promise<OrganizationBuckets[]> {
  const within = withinOrganizationBuckets('m.organization_id', 'm.created_at', work, QUARTER_HOUR);
  const quarterHour = `date_bin('15 minutes', m.created_at, timestamptz 'epoch')`;
  const rows = await sql<{ organization_id: string; bucket: Date }>(
    em,
    `select distinct x.organization_id, date_bin('15 minutes', previous.created_at, timestamptz 'epoch') as bucket
       from (select distinct on (m.conversation_id, ${quarterHour}) m.organization_id, m.conversation_id, m.created_at, m.seq
               from message m
              where ${within.text} and m.type <> 'REACTION'
              order by m.conversation_id, ${quarterHour}, m.created_at, m.seq) x
       cross join lateral (${adjacentMessage('x', 'previous', 'adjacent.direction, adjacent.created_at')}) previous
      where previous.direction = 'OUT'`,
    within.params,
  );
  return rows.map((row) => ({ organizationId: row.organization_id, buckets: [new Date(row.bucket)] }));
}

/**
 * The quarter hours before `from` of outbound messages whose "replied" these conversations'
 * messages from `from` on may change (see bucketsOfPredecessors): only the first of those messages
 * can follow one before `from`, so this costs a few probes per conversation.
 */
async function predecessorBucketsBefore(em: EntityManager, conversationIds: string[], from: Date): Promise<OrganizationBuckets[]> {
  if (!conversationIds.length) return [];
  const rows = await sql<{ organization_id: string; bucket: Date }>(
    em,
    `select distinct x.organization_id, date_bin('15 minutes', previous.created_at, timestamptz 'epoch') as bucket
       from unnest(?::uuid[]) as c(id)
       cross join lateral (
         select m.organization_id, m.conversation_id, m.created_at, m.seq from message m
          where m.conversation_id = c.id and m.type <> 'REACTION'
            and m.created_at = (select n.created_at from message n
                                 where n.conversation_id = c.id and n.type <> 'REACTION' and n.created_at >= ?
                                 order by n.created_at limit 1)
          order by m.seq limit 1
       ) x
       cross join lateral (${adjacentMessage('x', 'previous', 'adjacent.direction, adjacent.created_at')}) previous
      where previous.direction = 'OUT'`,
    [arrayLiteral(conversationIds), from],
  );
  return rows.map((row) => ({ organizationId: row.organization_id, buckets: [new Date(row.bucket)] }));
}

/** Replaces the quarter-hour rows of `work` with one pass over their outbound messages. */
async function rebuildQuarterHours(em: EntityManager, work: OrganizationBuckets[]) {
  const counters = withinOrganizationBuckets('organization_id', 'bucket', work, QUARTER_HOUR);
  const created = withinOrganizationBuckets('m.organization_id', 'm.created_at', work, QUARTER_HOUR);
  await sql(
    em,
    `with old_counters as (
       delete from analytics_delivery where span_minutes = ${QUARTER_HOUR} and ${counters.text}
     ),
     old_failures as (
       delete from analytics_delivery_failure where span_minutes = ${QUARTER_HOUR} and ${counters.text}
     ),
     facts as materialized (
       select m.organization_id, date_bin('15 minutes', m.created_at, timestamptz 'epoch') as bucket, ${M_DIMS},
              m.pricing_category, m.error_code, m.error_title, ${STAGE_COLUMNS}
         from message m
         ${REACHED_STAGES}
        where m.direction = 'OUT' and ${created.text}
     ),
     counters as (
       insert into analytics_delivery (organization_id, span_minutes, bucket, ${DIMS}, pricing_category, ${COUNTERS})
       select organization_id, ${QUARTER_HOUR}, bucket, ${DIMS}, pricing_category, count(*), count(*) filter (where sent),
              count(*) filter (where delivered), count(*) filter (where read), count(*) filter (where replied), count(*) filter (where failed)
         from facts group by organization_id, bucket, ${DIMS}, pricing_category
     )
     insert into analytics_delivery_failure (organization_id, span_minutes, bucket, ${DIMS}, error_code, error_title, failed)
     select organization_id, ${QUARTER_HOUR}, bucket, ${DIMS}, error_code, error_title, count(*)
       from facts where failed group by organization_id, bucket, ${DIMS}, error_code, error_title`,
    [...counters.params, ...counters.params, ...created.params],
  );
}

/** Replaces the rows of `blocks` (starts of `span`) with the sums of the finer span's rows inside them. */
async function rebuildSums(em: EntityManager, span: SpanMinutes, finer: SpanMinutes, blocks: OrganizationBuckets[]) {
  const inBlocks = withinOrganizationBuckets('organization_id', 'bucket', blocks, span);
  const finerInBlocks = withinOrganizationBuckets('a.organization_id', 'a.bucket', blocks, span);
  const block = `date_bin('${span} minutes', a.bucket, timestamptz 'epoch')`;
  const finerRows = `where a.span_minutes = ${finer} and ${finerInBlocks.text}`;
  await sql(
    em,
    `with old_counters as (
       delete from analytics_delivery where span_minutes = ${span} and ${inBlocks.text}
     ),
     old_failures as (
       delete from analytics_delivery_failure where span_minutes = ${span} and ${inBlocks.text}
     ),
     counters as (
       insert into analytics_delivery (organization_id, span_minutes, bucket, ${DIMS}, pricing_category, ${COUNTERS})
       select a.organization_id, ${span}, ${block}, ${A_DIMS}, a.pricing_category,
              sum(a.queued), sum(a.sent), sum(a.delivered), sum(a.read), sum(a.replied), sum(a.failed)
         from analytics_delivery a ${finerRows}
        group by 1, 3, ${A_DIMS}, a.pricing_category
     )
     insert into analytics_delivery_failure (organization_id, span_minutes, bucket, ${DIMS}, error_code, error_title, failed)
     select a.organization_id, ${span}, ${block}, ${A_DIMS}, a.error_code, a.error_title, sum(a.failed)
       from analytics_delivery_failure a ${finerRows}
      group by 1, 3, ${A_DIMS}, a.error_code, a.error_title`,
    [...inBlocks.params, ...inBlocks.params, ...finerInBlocks.params, ...finerInBlocks.params],
  );
}

/** Each organization's buckets floored to `span`. */
const floorWork = (work: OrganizationBuckets[], span: SpanMinutes): OrganizationBuckets[] =>
  work.map(({ organizationId, buckets }) => ({ organizationId, buckets: distinctTimes(buckets.map((bucket) => floorToSpan(bucket, span))) }));

/**
 * The delivery funnel's rollups: for each quarter hour, the outbound messages created in it by
 * channel, template, flow node and pricing category, with the stages they reached, and their
 * failures by error code; then the coarser spans containing those quarter hours, summed again.
 * Rebuilding deletes the rows and aggregates anew, so it is idempotent.
 */
export const deliveryRollupBuilder: BucketRollupBuilder = {
  kind: 'bucket',
  name: 'delivery',
  async rebuildBuckets(em, work) {
    const given = floorWork(mergeOrganizationBuckets(work), QUARTER_HOUR);
    if (!given.length) return;
    // Two overlapping delete-and-insert rebuilds of one bucket would each insert its rows. The
    // locks are taken in one order (the organizations' ids sorted), so two rebuilds cannot deadlock.
    const organizations = given.map((item) => item.organizationId).sort();
    await sql(em, 'select pg_advisory_xact_lock(?, hashtext(o)) from unnest(?::text[]) with ordinality as t(o, n) order by n', [LOCK_NAMESPACE, `{${organizations.join(',')}}`]);
    let touched = mergeOrganizationBuckets(given, await bucketsOfPredecessors(em, given));
    await rebuildQuarterHours(em, touched);
    for (let level = 1; level < SPAN_MINUTES.length; level++) {
      const span = SPAN_MINUTES[level]!;
      touched = floorWork(touched, span);
      await rebuildSums(em, span, SPAN_MINUTES[level - 1]!, touched);
    }
  },
  earlierBucketsAffected: predecessorBucketsBefore,
};
