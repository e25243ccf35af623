import type { EntityManager } from '../../../db/entity-manager';
import { sql } from '../../../db/sql';
import type { BucketRollupBuilder } from '../rollup-builder';
import { SPAN_MINUTES, distinctTimes, floorToSpan, mergeSpans, withinSql, type SpanMinutes } from './delivery-spans';
import { REACHED_STAGES, REPLY_WINDOW, STAGE_COLUMNS, dimensionList } from './delivery-stages.sql';

/** Rebuilds of one organization's delivery rollups take turns: the refresher and a rebuild job may overlap. */
const LOCK_NAMESPACE = 7_300;
const QUARTER_HOUR: SpanMinutes = 15;

const DIMS = dimensionList();
const M_DIMS = dimensionList('m.');
const A_DIMS = dimensionList('a.');
const COUNTERS = 'queued, sent, delivered, read, replied, failed';

/**
 * The quarter hours of outbound messages whose "replied" the messages of `buckets` may change:
 * a message becomes the next one after its predecessor, so an inbound message arriving now
 * credits (and an outbound one inserted out of order un-credits) an older message of ours, whose
 * bucket the refresher did not mark.
 */
async function bucketsOfPredecessors(em: EntityManager, organizationId: string, buckets: Date[]): Promise<Date[]> {
  const inBuckets = withinSql('x.created_at', mergeSpans(buckets, QUARTER_HOUR));
  const rows = await sql<{ bucket: Date }>(
    em,
    `select distinct date_bin('15 minutes', previous.created_at, timestamptz 'epoch') as bucket
       from message x
       cross join lateral (
         select p.direction, p.created_at from message p
          where p.conversation_id = x.conversation_id and p.type <> 'REACTION'
            and p.created_at <= x.created_at and p.created_at > x.created_at - ${REPLY_WINDOW}
            and (p.created_at < x.created_at or p.seq < x.seq)
          order by p.created_at desc, p.seq desc
          limit 1
       ) previous
      where x.organization_id = ? and ${inBuckets.text} and x.type <> 'REACTION' and previous.direction = 'OUT'`,
    [organizationId, ...inBuckets.params],
  );
  return rows.map((row) => new Date(row.bucket));
}

/** Replaces the quarter-hour rows of `buckets` with one pass over their outbound messages. */
async function rebuildQuarterHours(em: EntityManager, organizationId: string, buckets: Date[]) {
  const inBuckets = withinSql('bucket', mergeSpans(buckets, QUARTER_HOUR));
  const created = withinSql('m.created_at', mergeSpans(buckets, QUARTER_HOUR));
  await sql(
    em,
    `with old_counters as (
       delete from analytics_delivery where organization_id = ? and span_minutes = ${QUARTER_HOUR} and ${inBuckets.text}
     ),
     old_failures as (
       delete from analytics_delivery_failure where organization_id = ? and span_minutes = ${QUARTER_HOUR} and ${inBuckets.text}
     ),
     facts as materialized (
       select date_bin('15 minutes', m.created_at, timestamptz 'epoch') as bucket, ${M_DIMS},
              m.pricing_category, m.error_code, m.error_title, ${STAGE_COLUMNS}
         from message m
         ${REACHED_STAGES}
        where m.organization_id = ? and m.direction = 'OUT' and ${created.text}
     ),
     counters as (
       insert into analytics_delivery (organization_id, span_minutes, bucket, ${DIMS}, pricing_category, ${COUNTERS})
       select ?, ${QUARTER_HOUR}, bucket, ${DIMS}, pricing_category, count(*), count(*) filter (where sent),
              count(*) filter (where delivered), count(*) filter (where read), count(*) filter (where replied), count(*) filter (where failed)
         from facts group by bucket, ${DIMS}, pricing_category
     )
     insert into analytics_delivery_failure (organization_id, span_minutes, bucket, ${DIMS}, error_code, error_title, failed)
     select ?, ${QUARTER_HOUR}, bucket, ${DIMS}, error_code, error_title, count(*)
       from facts where failed group by bucket, ${DIMS}, error_code, error_title`,
    [organizationId, ...inBuckets.params, organizationId, ...inBuckets.params, organizationId, ...created.params, organizationId, organizationId],
  );
}

/** Replaces the rows of `blocks` (starts of `span`) with the sums of the finer span's rows inside them. */
async function rebuildSums(em: EntityManager, organizationId: string, span: SpanMinutes, finer: SpanMinutes, blocks: Date[]) {
  const inBlocks = withinSql('bucket', mergeSpans(blocks, span));
  const finerInBlocks = withinSql('a.bucket', mergeSpans(blocks, span));
  const block = `date_bin('${span} minutes', a.bucket, timestamptz 'epoch')`;
  const finerRows = `where a.organization_id = ? and a.span_minutes = ${finer} and ${finerInBlocks.text}`;
  await sql(
    em,
    `with old_counters as (
       delete from analytics_delivery where organization_id = ? and span_minutes = ${span} and ${inBlocks.text}
     ),
     old_failures as (
       delete from analytics_delivery_failure where organization_id = ? and span_minutes = ${span} and ${inBlocks.text}
     ),
     counters as (
       insert into analytics_delivery (organization_id, span_minutes, bucket, ${DIMS}, pricing_category, ${COUNTERS})
       select ?, ${span}, ${block}, ${A_DIMS}, a.pricing_category,
              sum(a.queued), sum(a.sent), sum(a.delivered), sum(a.read), sum(a.replied), sum(a.failed)
         from analytics_delivery a ${finerRows}
        group by 3, ${A_DIMS}, a.pricing_category
     )
     insert into analytics_delivery_failure (organization_id, span_minutes, bucket, ${DIMS}, error_code, error_title, failed)
     select ?, ${span}, ${block}, ${A_DIMS}, a.error_code, a.error_title, sum(a.failed)
       from analytics_delivery_failure a ${finerRows}
      group by 3, ${A_DIMS}, a.error_code, a.error_title`,
    [
      organizationId, ...inBlocks.params,
      organizationId, ...inBlocks.params,
      organizationId, organizationId, ...finerInBlocks.params,
      organizationId, organizationId, ...finerInBlocks.params,
    ],
  );
}

/**
 * The delivery funnel's rollups: for each quarter hour, the outbound messages created in it by
 * channel, template, flow node and pricing category, with the stages they reached, and their
 * failures by error code; then the coarser spans containing those quarter hours, summed again.
 * Rebuilding deletes the rows and aggregates anew, so it is idempotent.
 */
export const deliveryRollupBuilder: BucketRollupBuilder = {
  kind: 'bucket',
  name: 'delivery',
  async rebuildBuckets(em, organizationId, buckets) {
    if (!buckets.length) return;
    // Two overlapping delete-and-insert rebuilds of one bucket would each insert its rows.
    await sql(em, 'select pg_advisory_xact_lock(?, hashtext(?))', [LOCK_NAMESPACE, organizationId]);
    const given = distinctTimes(buckets.map((bucket) => floorToSpan(bucket, QUARTER_HOUR)));
    let touched = distinctTimes([...given, ...(await bucketsOfPredecessors(em, organizationId, given))]);
    await rebuildQuarterHours(em, organizationId, touched);
    for (let level = 1; level < SPAN_MINUTES.length; level++) {
      const span = SPAN_MINUTES[level]!;
      touched = distinctTimes(touched.map((start) => floorToSpan(start, span)));
      await rebuildSums(em, organizationId, span, SPAN_MINUTES[level - 1]!, touched);
    }
  },
};
