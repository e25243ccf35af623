import { mergeSpans, type SpanMinutes } from './delivery/delivery-spans';

/**
 * Quarter hours (or longer spans) of one organization's rollups to rebuild. The bucket builders
 * take a list of these, so a refresher pass rebuilds every organization it touched in one round
 * of statements: one round per organization cost more in planning and round trips than in work
 * once a pass touched hundreds of them (bench:subscriptions, 1,000 organizations).
 */
export interface OrganizationBuckets {
  organizationId: string;
  buckets: Date[];
}

/** The same work with each organization once, its buckets distinct and sorted, and no organization without buckets. */
export function mergeOrganizationBuckets(...lists: OrganizationBuckets[][]): OrganizationBuckets[] {
  const byOrganization = new Map<string, Set<number>>();
  for (const list of lists) {
    for (const { organizationId, buckets } of list) {
      const times = byOrganization.get(organizationId) ?? new Set<number>();
      for (const bucket of buckets) times.add(bucket.getTime());
      byOrganization.set(organizationId, times);
    }
  }
  return [...byOrganization]
    .filter(([, times]) => times.size)
    .map(([organizationId, times]) => ({ organizationId, buckets: [...times].sort((a, b) => a - b).map((time) => new Date(time)) }));
}

/** The work as (organization, bucket) pairs: two array literals for `unnest(?::uuid[], ?::timestamptz[])`. */
export function bucketPairs(work: OrganizationBuckets[]): { organizations: string; buckets: string } {
  const organizations: string[] = [];
  const buckets: string[] = [];
  for (const { organizationId, buckets: times } of mergeOrganizationBuckets(work)) {
    for (const bucket of times) {
      organizations.push(organizationId);
      buckets.push(bucket.toISOString());
    }
  }
  return { organizations: `{${organizations.join(',')}}`, buckets: `{${buckets.join(',')}}` };
}

/**
 * SQL for "the row's organization is one of the work's and `timeColumn` lies in one of that
 * organization's `span`-long buckets", touching buckets merged into ranges, every bound a bound
 * value. Written out as an OR of ranges rather than a join on unnest(), so the planner estimates
 * each range from its statistics and scans each through the (organization, time) index; a join
 * on unnest() of the bounds looked a thousand times bigger than it was. Nothing matches no work.
 */
export function withinOrganizationBuckets(
  organizationColumn: string,
  timeColumn: string,
  work: OrganizationBuckets[],
  span: SpanMinutes,
): { text: string; params: (string | Date)[] } {
  const terms: string[] = [];
  const params: (string | Date)[] = [];
  for (const { organizationId, buckets } of mergeOrganizationBuckets(work)) {
    for (const { from, to } of mergeSpans(buckets, span)) {
      terms.push(`(${organizationColumn} = ? and ${timeColumn} >= ? and ${timeColumn} < ?)`);
      params.push(organizationId, from, to);
    }
  }
  return { text: terms.length ? `(${terms.join(' or ')})` : 'false', params };
}
